"""The delivery channels against local stand-ins for their providers.

Each fake checks a request the way its provider would and records what it saw: an HTTP
gateway for the webhook, an Alibaba Cloud SMS endpoint that re-derives the signature on its
own, and an aiosmtpd relay.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import re
import socket
import string
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiosmtpd.controller import Controller

from service_center.notifications.channels import (
    AliyunSms,
    DeliveryError,
    Outgoing,
    SmtpEmail,
    WebhookSms,
    aliyun_signature,
    channels_from_config,
)

PHONE = "13812345678"
MAILBOX = "zhang.san@example.cn"


def sms(**changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "key": "called:42:1",
        "channel": "sms",
        "address": PHONE,
        "kind": "called",
        "params": {"number": "A012", "window": "3号窗口"},
        "text": "请A012到3号窗口办理",
    }
    return Outgoing(**(values | changes))


def mail(**changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "key": "booked:7:1",
        "channel": "email",
        "address": MAILBOX,
        "kind": "booked",
        "params": {"date": "2025-03-03", "time": "09:30"},
        "text": "您已预约 3月3日 09:30。\n请携带身份证。",
        "subject": "预约成功",
    }
    return Outgoing(**(values | changes))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the local fakes never go through a proxy from the environment."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a local HTTP server ---------------------------------------------------------------------

HANG = "hang"  #: an answer that never comes (until the fixture's teardown)


@dataclass
class Seen:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeHttp:
    """Records requests; answers with ``answers`` in order (then 200 {}), or ``responder``."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    answers: deque[tuple[int, Any] | str] = field(default_factory=deque)
    responder: Callable[[Seen], tuple[int, Any]] | None = None
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int, body: Any = None) -> None:
        self.answers.append((status, body if body is not None else {}))

    def respond(self, seen: Seen) -> tuple[int, Any] | str:
        self.requests.append(seen)
        if self.answers:
            return self.answers.popleft()
        if self.responder is not None:
            return self.responder(seen)
        return 200, {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        path, _, raw_query = self.path.partition("?")
        seen = Seen(
            self.command,
            path,
            raw_query,
            {k.lower(): v for k, v in self.headers.items()},
            self.rfile.read(length),
        )
        answer = self.server.fake.respond(seen)
        if answer == HANG:
            self.server.fake.released.wait(10)
            self.close_connection = True
            return
        status, body = answer
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for every request's thread
    fake: FakeHttp

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up early is expected here


@pytest.fixture
def fake_http() -> Iterator[FakeHttp]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeHttp(url=f"http://127.0.0.1:{server.server_address[1]}/")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.fake
    finally:
        server.fake.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- webhook --------------------------------------------------------------------------------


def test_webhook_posts_the_message_as_json(fake_http: FakeHttp) -> None:
    fake_http.answer(200, {"id": "gw-17"})
    channel = WebhookSms(url=fake_http.url + "sms", token="s3cret")

    assert channel.send(sms()) == "gw-17"

    [seen] = fake_http.requests
    assert (seen.method, seen.path) == ("POST", "/sms")
    assert seen.json() == {
        "to": PHONE,
        "text": "请A012到3号窗口办理",
        "kind": "called",
        "params": {"number": "A012", "window": "3号窗口"},
        "key": "called:42:1",
    }
    assert "请A012".encode() in seen.body  # UTF-8 itself, not \u escapes
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["idempotency-key"] == "called:42:1"
    assert seen.headers["authorization"] == "Bearer s3cret"


def test_webhook_without_token_or_id(fake_http: FakeHttp) -> None:
    fake_http.answer(202, b"accepted")
    assert WebhookSms(url=fake_http.url).send(sms()) == "called:42:1"
    assert "authorization" not in fake_http.requests[0].headers


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (503, False), (429, False), (400, True), (403, True)]
)
def test_webhook_failures(fake_http: FakeHttp, status: int, permanent: bool) -> None:
    fake_http.answer(status, {"error": f"bad number {PHONE}"})
    with pytest.raises(DeliveryError) as caught:
        WebhookSms(url=fake_http.url).send(sms())
    assert caught.value.permanent is permanent
    assert str(status) in caught.value.reason
    assert PHONE not in str(caught.value)


def test_webhook_that_never_answers_is_transient(fake_http: FakeHttp) -> None:
    fake_http.answers.append(HANG)
    with pytest.raises(DeliveryError) as caught:
        WebhookSms(url=fake_http.url, timeout=0.5).send(sms())
    assert caught.value.permanent is False
    assert "timed out" in caught.value.reason


def test_webhook_nobody_listening_is_transient() -> None:
    with pytest.raises(DeliveryError) as caught:
        WebhookSms(url=f"http://127.0.0.1:{free_port()}/", timeout=2).send(sms())
    assert caught.value.permanent is False


# --- Alibaba Cloud SMS ----------------------------------------------------------------------

_UNRESERVED = set((string.ascii_letters + string.digits + "-_.~").encode())


def _percent(text: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, written out byte by byte."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def expected_signature(query: dict[str, str], secret: str) -> str:
    """Signature version 1.0 as Alibaba Cloud's documentation describes it, for GET."""
    pairs = sorted((k, v) for k, v in query.items() if k != "Signature")
    canonical = "&".join(_percent(k) + "=" + _percent(v) for k, v in pairs)
    string_to_sign = "GET&" + _percent("/") + "&" + _percent(canonical)
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


KEY_ID = "LTAI5tTestKeyId"
SECRET = "TestSecret+/="
SIGN_NAME = "市民服务中心"
TEMPLATES = {"called": "SMS_400001", "booked": "SMS_400002"}
#: the parameters each approved template needs
TEMPLATE_PARAMS = {"SMS_400001": {"number", "window"}, "SMS_400002": {"date", "time"}}
BIZ_ID = "900619746936498440^0"


@dataclass
class FakeAliyun:
    """The SendSms endpoint, checking requests as Alibaba Cloud does."""

    http: FakeHttp
    next_code: str = "OK"
    nonces: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return self.http.url

    def error(self, status: int, code: str, text: str) -> tuple[int, dict[str, str]]:
        return status, {"Code": code, "Message": text, "RequestId": str(uuid.uuid4())}

    def __call__(self, seen: Seen) -> tuple[int, dict[str, str]]:
        query = seen.query
        if seen.method != "GET" or seen.path != "/":
            self.problems.append(f"{seen.method} {seen.path}")
        if query.get("AccessKeyId") != KEY_ID:
            return self.error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        if query.get("Signature") != expected_signature(query, SECRET):
            return self.error(400, "SignatureDoesNotMatch", "Specified signature is not matched.")
        nonce = query.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return self.error(400, "SignatureNonceUsed", "Specified signature nonce was used.")
        self.nonces.add(nonce)
        fixed = {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignName": SIGN_NAME,
        }
        for name, value in fixed.items():
            if query.get(name) != value:
                self.problems.append(f"{name}={query.get(name)!r}")
        stamp = query.get("Timestamp", "")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp):
            self.problems.append(f"Timestamp={stamp!r}")
            return self.error(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if not query.get("OutId"):
            self.problems.append("no OutId")
        if not re.fullmatch(r"1\d{10}", query.get("PhoneNumbers", "")):
            return self.error(
                200, "isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号 {query['PhoneNumbers']}"
            )
        needed = TEMPLATE_PARAMS.get(query.get("TemplateCode", ""))
        if needed is None:
            return self.error(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
        try:
            given = json.loads(query.get("TemplateParam", ""))
        except ValueError:
            return self.error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        if not isinstance(given, dict) or set(given) != needed:
            return self.error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
        if self.next_code != "OK":
            return self.error(200, self.next_code, "触发天级流控Permits:10")
        return 200, {"Code": "OK", "Message": "OK", "BizId": BIZ_ID, "RequestId": "F655A8D5"}


@pytest.fixture
def aliyun(fake_http: FakeHttp) -> FakeAliyun:
    fake = FakeAliyun(fake_http)
    fake_http.responder = fake
    return fake


def aliyun_sms(fake: FakeAliyun, **changes: Any) -> AliyunSms:
    values: dict[str, Any] = {
        "access_key_id": KEY_ID,
        "access_key_secret": SECRET,
        "sign_name": SIGN_NAME,
        "templates": TEMPLATES,
        "endpoint": fake.endpoint,
        "timeout": 5,
    }
    return AliyunSms(**(values | changes))


def test_aliyun_sends_a_signed_request(aliyun: FakeAliyun) -> None:
    moment = datetime(2025, 3, 3, 9, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    channel = aliyun_sms(aliyun, clock=lambda: moment, nonce=lambda: "nonce-0001")

    assert channel.send(sms()) == BIZ_ID

    assert aliyun.problems == []
    [seen] = aliyun.http.requests
    query = seen.query
    assert query["SignName"] == "市民服务中心"
    assert query["PhoneNumbers"] == PHONE
    assert query["OutId"] == "called:42:1"
    assert query["TemplateCode"] == "SMS_400001"
    assert query["TemplateParam"] == '{"number":"A012","window":"3号窗口"}'
    assert query["Timestamp"] == "2025-03-03T01:30:05Z"
    assert query["SignatureNonce"] == "nonce-0001"
    assert seen.raw_query.startswith("Signature=")
    assert "+" not in seen.raw_query  # spaces and pluses are percent-encoded


def test_aliyun_uses_a_fresh_nonce_and_the_current_time(aliyun: FakeAliyun) -> None:
    channel = aliyun_sms(aliyun)
    channel.send(sms())
    channel.send(sms(key="called:42:2"))  # a reused nonce would be refused

    first, second = (seen.query for seen in aliyun.http.requests)
    assert first["SignatureNonce"] != second["SignatureNonce"]
    uuid.UUID(first["SignatureNonce"])
    sent = datetime.strptime(first["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - sent) < timedelta(minutes=1)


def test_aliyun_wrong_secret_is_permanent(aliyun: FakeAliyun) -> None:
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun, access_key_secret="not-the-secret").send(sms())
    assert caught.value.permanent is True
    assert "SignatureDoesNotMatch" in caught.value.reason


def test_aliyun_rate_limit_is_transient(aliyun: FakeAliyun) -> None:
    aliyun.next_code = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun).send(sms())
    assert caught.value.permanent is False
    assert "isv.BUSINESS_LIMIT_CONTROL" in caught.value.reason


def test_aliyun_bad_number_is_permanent_and_not_echoed(aliyun: FakeAliyun) -> None:
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun).send(sms(address="1381234"))
    assert caught.value.permanent is True
    assert "isv.MOBILE_NUMBER_ILLEGAL" in caught.value.reason
    assert "1381234" not in str(caught.value)  # the fake echoed the number back


def test_aliyun_missing_template_parameter_is_permanent(aliyun: FakeAliyun) -> None:
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun).send(sms(params={"number": "A012"}))
    assert caught.value.permanent is True
    assert "isv.TEMPLATE_MISSING_PARAMETERS" in caught.value.reason


def test_aliyun_server_error_is_transient(aliyun: FakeAliyun) -> None:
    aliyun.http.answer(503, b"<html>Service Unavailable</html>")
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun).send(sms())
    assert caught.value.permanent is False


def test_aliyun_unknown_kind_is_permanent_without_a_request(aliyun: FakeAliyun) -> None:
    with pytest.raises(DeliveryError) as caught:
        aliyun_sms(aliyun).send(sms(kind="farewell"))
    assert caught.value.permanent is True
    assert aliyun.http.requests == []


def test_aliyun_signature_known_answers() -> None:
    # Alibaba Cloud's own SendSms example ("HTTP protocol and signature" in the SMS docs)
    documented = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(documented, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert expected_signature(documented, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    # characters the encodings disagree about: space, *, ~, +, /, and a Signature to skip
    tricky = {"b": "a b*c~d", "a": "x+y/z=", "Signature": "ignored", "中": "文"}
    assert aliyun_signature(tricky, "k&ey") == expected_signature(tricky, "k&ey")


# --- SMTP -----------------------------------------------------------------------------------


class _Relay:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse_recipients = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_recipients:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class Smtp:
    relay: _Relay
    port: int


@pytest.fixture
def smtp_relay() -> Iterator[Smtp]:
    relay = _Relay()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(relay, port)
    finally:
        controller.stop()


def test_smtp_delivers_the_mail(smtp_relay: Smtp) -> None:
    channel = SmtpEmail(host="127.0.0.1", port=smtp_relay.port, sender="noreply@center.example")

    message_id = channel.send(mail())

    [envelope] = smtp_relay.relay.envelopes
    assert envelope.mail_from == "noreply@center.example"
    assert envelope.rcpt_tos == [MAILBOX]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["To"] == MAILBOX
    assert received["From"] == "noreply@center.example"
    assert received["Subject"] == "预约成功"
    assert received.get_content() == "您已预约 3月3日 09:30。\n请携带身份证。\n"
    assert received.get_content_charset() == "utf-8"
    assert received["X-Idempotency-Key"] == "booked:7:1"
    assert received["Message-ID"] == message_id == "<booked=3A7=3A1@service-center>"
    assert received["Date"]


def test_smtp_subject_defaults_to_the_first_line(smtp_relay: Smtp) -> None:
    channel = SmtpEmail(host="127.0.0.1", port=smtp_relay.port, sender="noreply@center.example")
    channel.send(mail(subject=""))
    [envelope] = smtp_relay.relay.envelopes
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "您已预约 3月3日 09:30。"


def test_smtp_refused_recipient_is_permanent(smtp_relay: Smtp) -> None:
    smtp_relay.relay.refuse_recipients = True
    channel = SmtpEmail(host="127.0.0.1", port=smtp_relay.port, sender="noreply@center.example")
    with pytest.raises(DeliveryError) as caught:
        channel.send(mail())
    assert caught.value.permanent is True
    assert "550" in caught.value.reason
    assert MAILBOX not in str(caught.value)
    assert smtp_relay.relay.envelopes == []


def test_smtp_two_addresses_in_one_are_refused_here(smtp_relay: Smtp) -> None:
    channel = SmtpEmail(host="127.0.0.1", port=smtp_relay.port, sender="noreply@center.example")
    with pytest.raises(DeliveryError) as caught:
        channel.send(mail(address=f"{MAILBOX}, other@example.cn"))
    assert caught.value.permanent is True
    assert smtp_relay.relay.envelopes == []


def test_smtp_nobody_listening_is_transient() -> None:
    channel = SmtpEmail(host="127.0.0.1", port=free_port(), sender="noreply@center.example")
    with pytest.raises(DeliveryError) as caught:
        channel.send(mail())
    assert caught.value.permanent is False


# --- configuration --------------------------------------------------------------------------


def test_no_channels_without_settings() -> None:
    assert channels_from_config({}) == {}
    assert channels_from_config({"NOTIFY_SMS": "", "NOTIFY_SMTP_HOST": None}) == {}


def test_webhook_from_settings(fake_http: FakeHttp) -> None:
    channels = channels_from_config(
        {
            "NOTIFY_SMS": "webhook",
            "NOTIFY_SMS_WEBHOOK_URL": fake_http.url + "hook",
            "NOTIFY_SMS_WEBHOOK_TOKEN": "tok",
            "NOTIFY_TIMEOUT_SECONDS": "3",
        }
    )
    assert set(channels) == {"sms"}
    channel = channels["sms"]
    assert isinstance(channel, WebhookSms)
    assert (channel.name, channel.timeout) == ("webhook-sms", 3.0)
    channel.send(sms())
    [seen] = fake_http.requests
    assert (seen.path, seen.headers["authorization"]) == ("/hook", "Bearer tok")


def test_aliyun_from_settings(aliyun: FakeAliyun) -> None:
    channels = channels_from_config(
        {
            "NOTIFY_SMS": "aliyun",
            "NOTIFY_ALIYUN_ACCESS_KEY_ID": KEY_ID,
            "NOTIFY_ALIYUN_ACCESS_KEY_SECRET": SECRET,
            "NOTIFY_ALIYUN_SIGN_NAME": SIGN_NAME,
            "NOTIFY_ALIYUN_TEMPLATES": json.dumps(TEMPLATES),
            "NOTIFY_ALIYUN_ENDPOINT": aliyun.endpoint,
        }
    )
    channel = channels["sms"]
    assert isinstance(channel, AliyunSms)
    assert (channel.name, channel.timeout, channel.templates) == ("aliyun-sms", 10.0, TEMPLATES)
    assert channel.send(sms()) == BIZ_ID
    assert aliyun.problems == []


def test_aliyun_endpoint_defaults_to_the_public_one() -> None:
    channels = channels_from_config(
        {
            "NOTIFY_SMS": "aliyun",
            "NOTIFY_ALIYUN_ACCESS_KEY_ID": KEY_ID,
            "NOTIFY_ALIYUN_ACCESS_KEY_SECRET": SECRET,
            "NOTIFY_ALIYUN_SIGN_NAME": SIGN_NAME,
            "NOTIFY_ALIYUN_TEMPLATES": TEMPLATES,
        }
    )
    channel = channels["sms"]
    assert isinstance(channel, AliyunSms)
    assert channel.endpoint == "https://dysmsapi.aliyuncs.com/"


def test_smtp_from_settings(smtp_relay: Smtp) -> None:
    channels = channels_from_config(
        {
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(smtp_relay.port),
            "NOTIFY_SMTP_FROM": "noreply@center.example",
            "NOTIFY_SMTP_STARTTLS": "false",
        }
    )
    assert set(channels) == {"email"}
    channel = channels["email"]
    assert isinstance(channel, SmtpEmail)
    assert (channel.name, channel.port, channel.starttls) == ("smtp", smtp_relay.port, False)
    channel.send(mail())
    assert len(smtp_relay.relay.envelopes) == 1

    starttls = channels_from_config(
        {
            "NOTIFY_SMTP_HOST": "mail.example",
            "NOTIFY_SMTP_FROM": "a@b.cn",
            "NOTIFY_SMTP_STARTTLS": True,
        }
    )["email"]
    assert isinstance(starttls, SmtpEmail)
    assert (starttls.port, starttls.starttls) == (25, True)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"NOTIFY_SMS": "carrier-pigeon"}, "NOTIFY_SMS"),
        ({"NOTIFY_SMS": "webhook"}, "NOTIFY_SMS_WEBHOOK_URL"),
        (
            {
                "NOTIFY_SMS": "aliyun",
                "NOTIFY_ALIYUN_ACCESS_KEY_ID": "id",
                "NOTIFY_ALIYUN_ACCESS_KEY_SECRET": "secret",
                "NOTIFY_ALIYUN_SIGN_NAME": "签名",
                "NOTIFY_ALIYUN_TEMPLATES": "{not json",
            },
            "NOTIFY_ALIYUN_TEMPLATES",
        ),
        (
            {
                "NOTIFY_SMTP_HOST": "mail.example",
                "NOTIFY_SMTP_FROM": "a@b.cn",
                "NOTIFY_SMTP_PORT": "smtp",
            },
            "NOTIFY_SMTP_PORT",
        ),
        ({"NOTIFY_SMTP_HOST": "mail.example"}, "NOTIFY_SMTP_FROM"),
    ],
)
def test_unusable_settings_are_named(settings: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        channels_from_config(settings)
