"""Delivery channels: one adapter per provider that hands one message to it.

An adapter sends one :class:`Outgoing` and returns the provider's message id, or raises
:class:`DeliveryError` saying whether trying again could help. Adapters keep no state between
messages and retry nothing themselves; the outbox's workers decide when to try again.
Nothing here logs, and no error message carries the resident's address.

- :class:`WebhookSms`: POSTs JSON to a gateway of our own choosing;
- :class:`AliyunSms`: Alibaba Cloud SMS ``SendSms`` (RPC API, signature version 1.0);
- :class:`SmtpEmail`: e-mail through an SMTP relay.

:func:`channels_from_config` builds the channels an app's ``NOTIFY_*`` settings ask for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

#: at most this much of a provider's answer is read
_MAX_ANSWER = 64 * 1024
_USER_AGENT = "service-center-notifications"


@dataclass(frozen=True)
class Outgoing:
    """One message to one resident, ready to hand to a channel."""

    key: str  #: idempotency key, unique per message (e.g. "called:42:1"); max 64 chars
    channel: str  #: "sms" or "email"
    address: str  #: a mainland mobile number (11 digits) or an e-mail address
    kind: str  #: the template's name, e.g. "booked", "ahead", "called"
    params: dict[str, str]  #: the template's parameters (never personal data)
    text: str  #: the rendered message, in the resident's language
    subject: str = ""  #: e-mail subject


class DeliveryError(Exception):
    """A message was not delivered. ``permanent``: trying again cannot help (a bad number)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        self.reason = reason[:200]
        self.permanent = permanent
        super().__init__(self.reason)


class Channel(Protocol):
    """What the outbox's workers deliver through."""

    name: str

    def send(self, message: Outgoing) -> str:
        """Deliver ``message``; return the provider's message id or raise DeliveryError."""
        ...


def _scrub(text: str, address: str) -> str:
    """``text`` without ``address`` in it (providers echo it back), cut to 120 characters."""
    if address:
        text = re.sub(re.escape(address), "<address>", text, flags=re.IGNORECASE)
    return " ".join(text.split())[:120]


def _describe(error: BaseException) -> str:
    """A short description of a network error."""
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__


def _exchange(
    opener: urllib.request.OpenerDirector,
    request: urllib.request.Request,
    *,
    timeout: float,
    who: str,
    address: str,
) -> tuple[int, bytes]:
    """Send ``request``; return the answer's status and body, whatever the status.

    Raises a transient DeliveryError when no answer came (connection refused, timeout). The
    error's cause is dropped: some name the URL, and a URL may carry the ``address``.
    """
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(_MAX_ANSWER)
    except urllib.error.HTTPError as answer:
        try:
            body = answer.read(_MAX_ANSWER)
        except (OSError, http.client.HTTPException):
            body = b""
        finally:
            answer.close()
        return answer.code, body
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else exc
        raise DeliveryError(f"{who}: no answer ({_scrub(_describe(reason), address)})") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DeliveryError(f"{who}: no answer ({_scrub(_describe(exc), address)})") from None


def _json_object(body: bytes) -> dict[str, Any] | None:
    """``body`` read as a JSON object, or None."""
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def _http_is_transient(status: int) -> bool:
    """An HTTP failure worth trying again: rate limits, timeouts and server errors."""
    return status in (408, 425, 429) or not 400 <= status < 500


class WebhookSms:
    """SMS through our own HTTP gateway: POST the message as JSON to ``url``."""

    name = "webhook-sms"

    def __init__(self, *, url: str, token: str = "", timeout: float = 10.0) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener()

    def send(self, message: Outgoing) -> str:
        """POST the message; return the gateway's ``id`` (or the key when it gives none)."""
        body = {
            "to": message.address,
            "text": message.text,
            "kind": message.kind,
            "params": message.params,
            "key": message.key,
        }
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.key,
            "User-Agent": _USER_AGENT,
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        status, answer = _exchange(
            self._opener, request, timeout=self.timeout, who=self.name, address=message.address
        )
        if 200 <= status < 300:
            parsed = _json_object(answer) or {}
            found = parsed.get("id")
            return str(found) if found not in (None, "") else message.key
        raise DeliveryError(f"{self.name}: HTTP {status}", permanent=not _http_is_transient(status))


def _rfc3986(text: str) -> str:
    """Percent-encode as Alibaba Cloud's signature wants (space → %20, * → %2A, ~ kept)."""
    return urllib.parse.quote(text, safe="~")


def _aliyun_canonical(params: Mapping[str, str]) -> str:
    """The canonicalized query string: sorted, encoded ``k=v`` pairs without Signature."""
    return "&".join(
        f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )


def aliyun_signature(params: Mapping[str, str], secret: str) -> str:
    """Signature version 1.0 (HMAC-SHA1) of a GET to an Alibaba Cloud RPC API.

    ``params`` are the query's parameters (a ``Signature`` among them is left out).
    """
    string_to_sign = f"GET&{_rfc3986('/')}&{_rfc3986(_aliyun_canonical(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


#: SendSms answers that no retry can fix (the rest, e.g. rate limits, may pass later)
ALIYUN_PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
    }
)


class AliyunSms:
    """SMS through Alibaba Cloud's ``SendSms`` (dysmsapi 2017-05-25) with an approved template.

    ``templates`` maps our kinds ("called") to approved template codes ("SMS_123456789");
    ``clock`` (aware or UTC datetimes) and ``nonce`` are for tests.
    """

    name = "aliyun-sms"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
        timeout: float = 10.0,
        clock: Callable[[], datetime] | None = None,
        nonce: Callable[[], str] | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self._access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._nonce = nonce or (lambda: str(uuid.uuid4()))
        self._opener = urllib.request.build_opener()

    def _timestamp(self) -> str:
        moment = self._clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def send(self, message: Outgoing) -> str:
        """Send through the kind's template; return Alibaba Cloud's BizId."""
        template = self.templates.get(message.kind)
        if not template:
            raise DeliveryError(
                f"{self.name}: no template for kind {message.kind!r}", permanent=True
            )
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.key,
            "PhoneNumbers": message.address,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": self._timestamp(),
            "Version": "2017-05-25",
        }
        signature = aliyun_signature(params, self._access_key_secret)
        url = f"{self.endpoint}?Signature={_rfc3986(signature)}&{_aliyun_canonical(params)}"
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT}, method="GET")
        status, body = _exchange(
            self._opener, request, timeout=self.timeout, who=self.name, address=message.address
        )
        answer = _json_object(body) or {}
        code = str(answer.get("Code") or "")
        if not code:
            if 200 <= status < 300:
                raise DeliveryError(f"{self.name}: HTTP {status} without a Code")
            raise DeliveryError(
                f"{self.name}: HTTP {status}", permanent=not _http_is_transient(status)
            )
        if code == "OK" and 200 <= status < 300:
            return str(answer.get("BizId") or message.key)
        detail = _scrub(str(answer.get("Message") or ""), message.address)
        raise DeliveryError(
            f"{self.name}: {_scrub(code, message.address)}" + (f": {detail}" if detail else ""),
            permanent=code in ALIYUN_PERMANENT_CODES,
        )


#: characters RFC 5322 allows in a Message-ID's left part (atext); the rest become =XX
_MESSAGE_ID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+/?^_`{|}~-]")


def _message_id_part(key: str) -> str:
    """``key`` made safe for a Message-ID, one-to-one: "called:42:1" → "called=3A42=3A1"."""
    return _MESSAGE_ID_UNSAFE.sub(
        lambda m: "".join(f"={byte:02X}" for byte in m.group().encode("utf-8")), key
    )


class SmtpEmail:
    """E-mail through an SMTP relay, optionally with STARTTLS and a login."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def _compose(self, message: Outgoing) -> EmailMessage:
        """The e-mail for ``message`` (raises ValueError for an address that cannot be one)."""
        subject = message.subject or (message.text.strip().splitlines() or [""])[0][:100]
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        if len(email["To"].addresses) != 1:  # "a@x.cn, b@y.cn" must not reach two people
            raise ValueError("not one address")
        email["Subject"] = " ".join(subject.split())
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = f"<{_message_id_part(message.key)}@service-center>"
        email["X-Idempotency-Key"] = message.key
        # non-ASCII text goes as base64 so no 7-bit relay on the way has to cope with it
        email.set_content(
            message.text, charset="utf-8", cte=None if message.text.isascii() else "base64"
        )
        return email

    def send(self, message: Outgoing) -> str:
        """Hand the e-mail to the relay; return its Message-ID."""
        try:
            email = self._compose(message)
        except (ValueError, TypeError):
            raise DeliveryError(f"{self.name}: not a usable address", permanent=True) from None
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{self.name}: no connection ({_describe(exc)})") from None
        delivered = False
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self._password)
            smtp.send_message(email, from_addr=self.sender, to_addrs=[message.address])
            delivered = True
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"{self.name}: recipient refused ({', '.join(map(str, codes))})",
                permanent=bool(codes) and all(500 <= code < 600 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
            raise DeliveryError(
                f"{self.name}: {type(exc).__name__} {exc.smtp_code} "
                f"{_scrub(text, message.address)}",
                permanent=isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{self.name}: {type(exc).__name__} {_scrub(_describe(exc), message.address)}"
            ) from None
        finally:
            # a polite QUIT only after a delivery: a dead connection would only time out again
            try:
                if delivered:
                    smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                smtp.close()
        return str(email["Message-ID"])


def _setting(config: Mapping[str, Any], name: str) -> str:
    """A setting that must be given once its channel is chosen."""
    value = config.get(name)
    if value in (None, ""):
        raise ValueError(f"{name} must be set")
    return str(value)


def _flag(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _number(config: Mapping[str, Any], name: str, default: float, kind: type) -> Any:
    value = config.get(name)
    if value in (None, ""):
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return number


def _templates(config: Mapping[str, Any]) -> dict[str, str]:
    name = "NOTIFY_ALIYUN_TEMPLATES"
    value = config.get(name)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"{name} must be a JSON object of kind → template code") from None
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name} must map kinds to template codes")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise ValueError(f"{name} must map kinds to template codes (strings)")
    return dict(value)


def channels_from_config(config: Mapping[str, Any]) -> dict[str, Channel]:
    """{"sms": ..., "email": ...} for the channels configured; {} when none is.

    Raises ValueError naming the setting when a chosen channel's settings are unusable.
    """
    timeout = float(_number(config, "NOTIFY_TIMEOUT_SECONDS", 10.0, float))
    channels: dict[str, Channel] = {}
    sms = config.get("NOTIFY_SMS")
    if sms == "webhook":
        channels["sms"] = WebhookSms(
            url=_setting(config, "NOTIFY_SMS_WEBHOOK_URL"),
            token=str(config.get("NOTIFY_SMS_WEBHOOK_TOKEN") or ""),
            timeout=timeout,
        )
    elif sms == "aliyun":
        channels["sms"] = AliyunSms(
            access_key_id=_setting(config, "NOTIFY_ALIYUN_ACCESS_KEY_ID"),
            access_key_secret=_setting(config, "NOTIFY_ALIYUN_ACCESS_KEY_SECRET"),
            sign_name=_setting(config, "NOTIFY_ALIYUN_SIGN_NAME"),
            templates=_templates(config),
            endpoint=str(config.get("NOTIFY_ALIYUN_ENDPOINT") or "https://dysmsapi.aliyuncs.com/"),
            timeout=timeout,
        )
    elif sms not in (None, ""):
        raise ValueError(f"NOTIFY_SMS must be 'webhook' or 'aliyun' (or empty), not {sms!r}")
    if config.get("NOTIFY_SMTP_HOST"):
        channels["email"] = SmtpEmail(
            host=str(config["NOTIFY_SMTP_HOST"]),
            port=int(_number(config, "NOTIFY_SMTP_PORT", 25, int)),
            sender=_setting(config, "NOTIFY_SMTP_FROM"),
            username=str(config.get("NOTIFY_SMTP_USER") or ""),
            password=str(config.get("NOTIFY_SMTP_PASSWORD") or ""),
            starttls=_flag(config, "NOTIFY_SMTP_STARTTLS"),
            timeout=timeout,
        )
    return channels
