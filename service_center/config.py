"""Default configuration; no secrets here (see create_app for the order of sources)."""

from __future__ import annotations


class DefaultConfig:
    SQLALCHEMY_DATABASE_URI = "sqlite:///service_center.sqlite"
    #: never print bound values (names, phones) in errors or logs
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    WTF_CSRF_TIME_LIMIT = None  # a kiosk or desk page stays open all day

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    TIMEZONE = "Asia/Shanghai"
    #: supervisors are warned while a year this many days ahead (or as far as the longest
    #: booking horizon) has only rule-computed holidays
    CALENDAR_NOTICE_DAYS = 60

    #: reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto/-Host
    #: headers are trusted this deep, so rate limits count the real client. 0: trust none
    PROXIES = 0

    RATELIMIT_STORAGE_URI = "memory://"
    #: a fixed window lets twice the limit through across a window's edge (and makes tests flaky)
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    #: failed sign-ins from one address (everyone behind one NAT shares it: generous); the
    #: account's own lock below is what stops guessing at one account from many addresses
    AUTH_LOGIN_FAILURE_LIMIT = "30 per 10 minutes"
    AUTH_LOCK_AFTER = 5  #: failed sign-ins in a row that lock an account
    AUTH_LOCK_MINUTES = 15  #: how long it stays locked (an administrator may unlock it sooner)
    PASSWORD_MIN_LENGTH = 10

    QUEUE_WALKIN_MAX_WAIT_MINUTES = 30  #: past this, bookings no longer pass a walk-in
    QUEUE_NO_SHOW_MIN_CALLS = 2  #: calls before a clerk may mark a ticket no-show
    QUEUE_REQUEUE_MINUTES = 30  #: a no-show may be re-queued once within this time
    #: the clerk who marked a no-show may undo it this long (the desk's undo bar); then final
    QUEUE_NO_SHOW_UNDO_SECONDS = 10

    #: where residents reach the site: the links in messages (SERVICE_CENTER_PUBLIC_URL)
    PUBLIC_URL = "http://localhost:5000"
    #: notifications (docs/deployment.md): "webhook" or "aliyun" for SMS, SMTP for e-mail;
    #: nothing configured: messages are recorded as not sent (no channel)
    NOTIFY_SMS = ""
    NOTIFY_SMTP_HOST = ""
    #: the shared token the SMS provider sends with forwarded replies (退订/TD); empty: off
    NOTIFY_SMS_REPLY_TOKEN = ""
    NOTIFY_MAX_ATTEMPTS = 6  #: then the message is given up (failed, with the reason kept)
    NOTIFY_RETRY_SECONDS = 30  #: the first retry's delay; doubled each try, with jitter
    NOTIFY_RETRY_MAX_SECONDS = 3600
    NOTIFY_LEASE_SECONDS = 120  #: a worker that holds a message longer has died: retried
    NOTIFY_BATCH = 50
    #: at most this many messages an hour to one address, and from one center (then: not sent)
    NOTIFY_PER_ADDRESS_HOURLY = 10
    NOTIFY_PER_CENTER_HOURLY = 3000
    #: each process counts a center's hour again this often (adding what it wrote since)
    NOTIFY_CENTER_COUNT_SECONDS = 10
    #: booking reminders go out from this local time the day before (flask notifications remind)
    NOTIFY_REMINDER_TIME = "16:00"
    #: no reminder or closure notice is delivered inside these local hours (held until the end)
    NOTIFY_QUIET_HOURS = "21:00-08:00"
    QUEUE_RECENT_SERVICE_SAMPLE = 20  #: completed cases that feed the estimated wait

    #: how long one app process answers the displays' and phones' polls from the floor version
    #: it last read while no change stamp moved (seconds): a change made through another host
    #: reaches them at most this much later (this host's at once); 0 reads it every poll
    DISPLAY_VERSION_TTL = 1.0
    #: seconds a process answers a ticket's poll from what it keeps, the floor unchanged (the
    #: estimated wait moves with the clock too, by minutes)
    TICKET_POLL_TTL = 15.0
    #: once the floor moved, seconds a ticket's kept poll still stands while its own row is
    #: unchanged (its people ahead a few seconds late; its own call never)
    TICKET_POSITION_SLACK = 5.0
    #: seconds a process searches its copy of a center's catalogue before reading it again (a
    #: change through this host is seen at once, through another within this time)
    CATALOGUE_KEPT_TTL = 30.0

    BOOKING_CHECKIN_EARLY_MINUTES = 15
    BOOKING_CHECKIN_LATE_MINUTES = 15
    BOOKING_MAX_OPEN_PER_PHONE = 2
    BOOKING_SAME_DAY = False
    BOOKING_RATE_LIMIT = "10 per minute"
    BOOKING_LOOKUP_RATE_LIMIT = "20 per minute"
    REMOTE_TICKET_RATE_LIMIT = "10 per minute"

    #: days after a case closes that its applicant's name and phone (and its booking's) are
    #: kept; cancelled and no-show bookings: BOOKING_RETENTION_DAYS after their day
    #: (booking/retention.py, flask purge-personal-data)
    PERSONAL_DATA_RETENTION_DAYS = 180
    BOOKING_RETENTION_DAYS = 30

    #: staff sessions (service_center/security.py): the cookie only over HTTPS and not sent
    #: on other sites' requests; signed out after this long without a request, and this long
    #: after signing in whatever happens. Plain-HTTP development sets SECURE off
    #: (scripts/run.sh).
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    #: who may read /metrics: these addresses or networks, or a bearer METRICS_TOKEN
    METRICS_ALLOW = ("127.0.0.1", "::1")
    METRICS_TOKEN: str | None = None

    #: who may frame the hall displays (/display/…), as CSP frame-ancestors; nothing else may
    #: be framed at all
    DISPLAY_FRAME_ANCESTORS = "'self'"
