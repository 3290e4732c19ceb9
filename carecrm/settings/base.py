"""Settings for every environment, read from environment variables.

With no variables set, CareCRM runs embedded: SQLite and Celery's filesystem broker under var/,
mail written to files under var/mail. Production sets DATABASE_URL, REDIS_URL and the rest
(see carecrm.settings.production and the README's configuration table).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("CARECRM_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default key only serves a local checkout; production refuses to start without one.
SECRET_KEY = env.str("SECRET_KEY", default="carecrm-insecure-local-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "carecrm",
    "customers",
    "lifecycle",
    "orders",
    "knowledgebase",
    "tickets",
    "campaigns",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "carecrm.middleware.permissions_policy",
]

_chat_socket_origin = [
    origin for origin in [env.str("CARECRM_CHAT_SOCKET_URL", default="").split("/ws/", 1)[0]] if origin
]

# --- Browser security headers --------------------------------------------------------------------
# Every page loads scripts, styles, images and fonts from this site only and runs no inline script or
# style: text that came from outside (an email, a form, an article) cannot run even if it slipped past
# the sanitiser. Pages that show an email as sent (the campaign preview) answer with a policy of their own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        # The chat socket, when it is served on an address of its own (CARECRM_CHAT_SOCKET_URL).
        "connect-src": ["'self'", *_chat_socket_origin],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Powerful browser features no page of ours uses, refused so that injected content cannot ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

ROOT_URLCONF = "carecrm.urls"
WSGI_APPLICATION = "carecrm.wsgi.application"
# Live chat's WebSockets, served by uvicorn beside gunicorn (the Procfile's `chat`).
ASGI_APPLICATION = "carecrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.chat.widget.widget_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carecrm.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: writers queue for the lock instead of failing at once,
    # take it when the transaction starts (no upgrade deadlocks), and WAL lets readers run alongside.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, rate limits) --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------------
# The name authenticator apps show beside a staff member's code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CareCRM")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 5.0 6.2.1: at least 8 characters, longer strongly recommended; 12 for an account that
    # reads every customer's data.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A staff session lasts a working day; the cookies never reach scripts and are not sent on cross-site
# requests that change anything.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:start"  # each role lands on its own work
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Uploaded and received files (ticket attachments). In production: a volume, or a storage backend in
# STORAGES["default"].
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A store's bulk push is many small requests, not one large one; anything larger is refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# A raw email posted to /api/v1/inbound-email/: 25 MB of attachments, base64-encoded, with room to spare.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=36 * 1024 * 1024)

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["carecrm.api.permissions.ModelPermissions"],
    "DEFAULT_PARSER_CLASSES": ["carecrm.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "carecrm.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "carecrm.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "carecrm.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "carecrm.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
        "user": env.str("API_THROTTLE_USER", default="6000/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CareCRM API",
    "DESCRIPTION": (
        "Stores push customers, orders, payments and shipments; tickets come in from every channel."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: the docs work on a machine with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "PaymentStatusEnum": "orders.models.Payment.Status",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "ReturnStatusEnum": "orders.models.Return.Status",
        "LifecycleStageEnum": "customers.models.Customer.Stage",
    },
}

# --- Celery ---------------------------------------------------------------------------------------
# Every task's work is a database row first, so the broker only rings the bell: tasks are acknowledged
# after they finish, requeued when a worker dies under them, and safe to receive twice.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="carecrm")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang on a dead broker: one quick retry, then the Event waits for the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "tick": {"task": "carecrm.tick", "schedule": env.float("TICK_SECONDS", default=60.0)},
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the hard time limit, so a long task is never redelivered while it still runs.
        "visibility_timeout": CELERY_TASK_TIME_LIMIT * 4,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
else:
    BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker"))).resolve()
    (BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The worker looks for new files this often, and again after each prefetch window of tasks:
        # kombu's 1 s default caps the embedded worker at about two tasks a second.
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.1),
    }
    # The filesystem transport has no fanout exchange worth using for remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False

# --- Live chat: messages between the ASGI processes ------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s timeout, the same as the layer's blocking wait for messages:
                # an idle layer would time out and drop sockets (django/channels_redis#422). Its pool
                # raises past max_connections instead of waiting: sockets closing in a burst need more.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    # Embedded: one chat process, so the layer lives in its memory.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Email ----------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CareCRM <care@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
ANYMAIL = {
    # Any ESP django-anymail supports: set EMAIL_BACKEND to its backend and these to its credentials.
    "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
    "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
    "SENDGRID_API_KEY": env.str("SENDGRID_API_KEY", default=""),
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
    # Mailgun signs its webhooks with this key (Mailgun: Sending > Webhooks > HTTP webhook signing key).
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
}

# --- CareCRM --------------------------------------------------------------------------------------
CARECRM = {
    "CURRENCY": env.str("CARECRM_CURRENCY", default="EUR"),
    # Where the customer pages are served: links in emails are built on it.
    "SITE_URL": env.str("CARECRM_SITE_URL", default="http://127.0.0.1:8000"),
    # How many proxies in front of the app append to X-Forwarded-For (0: trust none of it).
    "TRUSTED_PROXY_HOPS": env.int("CARECRM_TRUSTED_PROXY_HOPS", default=0),
    "DORMANT_AFTER_DAYS": env.int("CARECRM_DORMANT_AFTER_DAYS", default=90),
    "LOST_AFTER_DAYS": env.int("CARECRM_LOST_AFTER_DAYS", default=365),
    "LOYAL_MIN_ORDERS": env.int("CARECRM_LOYAL_MIN_ORDERS", default=3),
    "LOYAL_MIN_SPENT": env.str("CARECRM_LOYAL_MIN_SPENT", default="500.00"),
    # A tracking webhook about an event older than this is a replay: ESPs stop retrying within 3 days.
    "WEBHOOK_EVENT_MAX_AGE_HOURS": env.int("CARECRM_WEBHOOK_EVENT_MAX_AGE_HOURS", default=72),
    "EVENT_MAX_DISPATCH_ATTEMPTS": env.int("CARECRM_EVENT_MAX_DISPATCH_ATTEMPTS", default=10),
    # Orders and after-sales
    "OWN_FLEET_TRACKING_URL": env.str("CARECRM_OWN_FLEET_TRACKING_URL", default=""),
    "RETURN_WINDOW_DAYS": env.int("CARECRM_RETURN_WINDOW_DAYS", default=30),
    # Orders placed in this span of the year (MM-DD, inclusive) may be returned until the date that follows.
    "HOLIDAY_RETURNS_PLACED_FROM": env.str("CARECRM_HOLIDAY_RETURNS_PLACED_FROM", default="11-15"),
    "HOLIDAY_RETURNS_PLACED_TO": env.str("CARECRM_HOLIDAY_RETURNS_PLACED_TO", default="12-31"),
    "HOLIDAY_RETURNS_UNTIL": env.str("CARECRM_HOLIDAY_RETURNS_UNTIL", default="01-31"),
    "PRICE_PROTECTION_DAYS": env.int("CARECRM_PRICE_PROTECTION_DAYS", default=30),
    "UNREFUNDED_CANCELLATION_DAYS": env.int("CARECRM_UNREFUNDED_CANCELLATION_DAYS", default=3),
    "REFUND_DUE_DAYS": env.int("CARECRM_REFUND_DUE_DAYS", default=7),
    # What answering one ticket costs the shop, in its currency: the profitability class subtracts it.
    "SERVICE_COST_PER_TICKET": env.str("CARECRM_SERVICE_COST_PER_TICKET", default="5.00"),
    # Loyalty: points per whole unit of the shop's currency spent, and the tiers ("name:points" from 0 up).
    "LOYALTY_POINTS_PER_UNIT": env.int("CARECRM_LOYALTY_POINTS_PER_UNIT", default=1),
    "LOYALTY_TIERS": env.str("CARECRM_LOYALTY_TIERS", default="Bronze:0,Silver:500,Gold:1500"),
    # A cart the store last changed this long ago, not checked out, is abandoned (cart_abandoned, once).
    "CART_ABANDONED_AFTER_MINUTES": env.int("CARECRM_CART_ABANDONED_AFTER_MINUTES", default=60),
    # A service email about something older than this is not sent: a backfill of last year's shipments
    # must not tell customers their parcels are on the way.
    "ORDER_UPDATE_MAX_AGE_HOURS": env.int("CARECRM_ORDER_UPDATE_MAX_AGE_HOURS", default=72),
    # Tickets: the domain of our reply-to addresses (reply+<token>@…) and outbound Message-IDs. Inbound
    # mail to that domain must reach the inbound endpoint (an ESP's inbound route, or ingest_email).
    "MAIL_DOMAIN": env.str("CARECRM_MAIL_DOMAIN", default="care.localhost"),
    # Knowledge base: PostgreSQL's text search configuration (language) for stemming and stop words.
    "KB_SEARCH_CONFIG": env.str("CARECRM_KB_SEARCH_CONFIG", default="english"),
    # A search or suggestion that no ticket from the same visitor follows within this long answered them.
    "KB_DEFLECTION_HOURS": env.int("CARECRM_KB_DEFLECTION_HOURS", default=24),
    # Campaigns: no marketing email between these hours in the customer's time zone ("21-8"; "" for none),
    # at most this many marketing emails per customer in seven days, and how many messages one task sends.
    "CAMPAIGN_QUIET_HOURS": env.str("CARECRM_CAMPAIGN_QUIET_HOURS", default="21-8"),
    "CAMPAIGN_FREQUENCY_CAP": env.int("CARECRM_CAMPAIGN_FREQUENCY_CAP", default=3),
    "CAMPAIGN_SEND_BATCH": env.int("CARECRM_CAMPAIGN_SEND_BATCH", default=200),
    # A batch claimed this long ago and still sending lost its worker: the recovery job takes it back.
    "CAMPAIGN_CLAIM_LEASE_MINUTES": env.int("CARECRM_CAMPAIGN_CLAIM_LEASE_MINUTES", default=10),
    # Live chat. The address the widget opens its socket on ("": the script's own host, /ws/chat/), the
    # shop origins whose pages may embed it, the secret the store signs identity tokens with ("": every
    # visitor is asked for an email), how many chats one agent holds at once, how long a chat waits in the
    # queue before it is missed (and answered by email), and the business calendar of chat hours ("": any
    # time an agent is online).
    "CHAT_SOCKET_URL": env.str("CARECRM_CHAT_SOCKET_URL", default=""),
    "CHAT_ALLOWED_ORIGINS": env.list("CARECRM_CHAT_ALLOWED_ORIGINS", default=[]),
    "CHAT_IDENTITY_SECRET": env.str("CARECRM_CHAT_IDENTITY_SECRET", default=""),
    "CHAT_MAX_PER_AGENT": env.int("CARECRM_CHAT_MAX_PER_AGENT", default=4),
    "CHAT_ANSWER_WITHIN_SECONDS": env.int("CARECRM_CHAT_ANSWER_WITHIN_SECONDS", default=180),
    # New chats one client address may open an hour (each is a ticket, and a missed one an email).
    "CHAT_STARTS_PER_HOUR": env.int("CARECRM_CHAT_STARTS_PER_HOUR", default=20),
    "CHAT_CALENDAR": env.str("CARECRM_CHAT_CALENDAR", default=""),
    # CareCRM's own customer pages (help centre, tracking, contact) carry the widget too.
    "CHAT_ON_CUSTOMER_PAGES": env.bool("CARECRM_CHAT_ON_CUSTOMER_PAGES", default=True),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
