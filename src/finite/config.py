"""Settings read from FINITE_* environment variables (see docs/configuration.md)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from finite.kit.db import DEFAULT_POOL_SIZE
from finite.kit.mail.smtp_url import SmtpSettings, SmtpUrlError, parse_smtp_url
from finite.kit.private_files import private_folder

Environment = Literal["development", "production"]
LogFormat = Literal["text", "json"]

SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name, not a secret
# The one setting that lets outgoing requests (webhook deliveries, and every later kind) reach
# loopback and private addresses on any port; refusals name it (core/webhooks/targets.py).
ALLOW_PRIVATE_TARGETS = "FINITE_ALLOW_PRIVATE_TARGETS"
ALLOW_PRIVATE_TARGETS_ALIASES = ("FINITE_WEBHOOKS_ALLOW_PRIVATE",)  # deprecated, still read
MIN_SECRET_LENGTH = 32
DEFAULT_MAIL_FROM = "Finite <finite@localhost>"
# FINITE_RETENTION_<KIND>_DAYS: days a kind of row is kept (core/retention/ knows the kinds).
_RETENTION_DAYS = re.compile(r"FINITE_RETENTION_([A-Z0-9_]+)_DAYS")
MAX_RETENTION_DAYS = 36_500


class ConfigError(Exception):
    """The configuration cannot be used; the message says which variable and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str = field(repr=False)
    old_secret_keys: tuple[str, ...] = field(repr=False, default=())
    # A rotation's new secret before it becomes current: opens and verifies, never seals.
    next_secret_keys: tuple[str, ...] = field(repr=False, default=())
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    demo_on_first_run: bool = True
    inline_worker: bool = True  # run the webhook delivery worker inside `finite serve`
    # Outgoing requests may reach loopback and private addresses on any port (tests, local dev).
    allow_private_targets: bool = False
    webhook_disable_after_hours: int = 120  # failing this long without a success → disabled
    # How long a worker's claim on a delivery lasts: a worker that dies leaves its claims to
    # expire, then another worker sends them. Keep it above the 15 s a delivery may take (a
    # shorter lease lets a slow delivery go out twice); tests shorten it to restart quickly.
    webhook_lease_seconds: int = 60
    # A CSV import's runner renews its lease with every chunk it commits; one that dies leaves
    # the job to be resumed by another runner once the lease runs out.
    import_lease_seconds: int = 60
    import_max_mb: int = 2048  # the largest CSV upload
    # PostgreSQL connections each server process keeps open per pool (it has two, kit/db.py).
    db_pool_size: int = DEFAULT_POOL_SIZE
    # PostgreSQL: keep keys in use between requests, retired by LISTEN (core/auth/principal_cache).
    # Off behind a pooler that cannot LISTEN (PgBouncer in transaction mode).
    key_cache: bool = True
    # How many `finite serve` processes share the rate limits, on all machines together: while
    # Redis is down each admits limit / processes (core/ratelimit/limiter.py).
    processes: int = 1
    # Plans (`free`, or `crm:free` for one product) refused with 503 while Redis is down.
    rate_limit_fail_closed: frozenset[str] = frozenset()
    # FINITE_REDIS_URL names a node of a Redis Cluster rather than a single server.
    redis_cluster: bool = False
    # /metrics is open unless this is set: then it wants `Authorization: Bearer <token>`.
    metrics_token: str | None = field(repr=False, default=None)
    log_format: LogFormat = "text"
    # Where mail goes: an SMTP server, or (None) `.eml` files in the data folder's `mail/`.
    smtp: SmtpSettings | None = field(repr=False, default=None)
    mail_from: str = DEFAULT_MAIL_FROM
    # The address clients reach this server at, for the links in mail; by default the one
    # `finite serve` listens on (public_base_url).
    public_url: str | None = None
    # Days each kind of row is kept, by kind name (`events`), where set; 0 keeps them for good.
    retention_days: Mapping[str, int] = field(default_factory=dict)
    # How often `finite worker` (and the inline worker) deletes what retention allows, and how
    # many rows one delete statement takes at most.
    retention_interval_seconds: int = 3600
    retention_batch_size: int = 500
    # The longest a request body may take to arrive, whole: a client that sends it slower gets
    # 408 and the connection is closed, so slow senders cannot hold server tasks open.
    body_timeout_seconds: int = 30
    # Proxies (addresses or networks) whose X-Forwarded-For names the real client: audit rows,
    # sign-off evidence and reveals record that client's address, not the proxy's.
    trusted_proxies: tuple[str, ...] = ()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings; in development, create the data dir and its secret key if missing."""
    env_vars = os.environ if environ is None else environ
    env = _environment(env_vars.get("FINITE_ENV", "development"))
    data_dir = Path(env_vars.get("FINITE_DATA_DIR") or "./finite-data").expanduser().resolve()
    database_url = env_vars.get("FINITE_DATABASE_URL") or ""
    redis_url = env_vars.get("FINITE_REDIS_URL") or None
    explicit_secret = env_vars.get("FINITE_SECRET_KEY") or ""

    if env == "production" and not explicit_secret:
        raise ConfigError("FINITE_SECRET_KEY must be set when FINITE_ENV=production")
    if explicit_secret and len(explicit_secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"FINITE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")

    if not database_url or not explicit_secret:
        private_folder(data_dir)
    secret_key = explicit_secret or _secret_from_data_dir(data_dir)
    if not database_url:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"

    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=normalize_database_url(database_url),
        redis_url=redis_url,
        secret_key=secret_key,
        old_secret_keys=_split_list(env_vars.get("FINITE_OLD_SECRET_KEYS", "")),
        next_secret_keys=_split_list(env_vars.get("FINITE_NEXT_SECRET_KEYS", "")),
        host=env_vars.get("FINITE_HOST", "127.0.0.1"),
        port=_port(env_vars.get("FINITE_PORT", "8000")),
        log_level=env_vars.get("FINITE_LOG_LEVEL", "INFO").upper(),
        demo_on_first_run=_flag(env_vars.get("FINITE_DEMO", "1" if env == "development" else "0")),
        inline_worker=_flag(
            env_vars.get("FINITE_INLINE_WORKER", "1" if env == "development" else "0")
        ),
        allow_private_targets=_allow_private_targets(env_vars),
        webhook_disable_after_hours=_positive_int(
            "FINITE_WEBHOOK_DISABLE_AFTER_HOURS",
            env_vars.get("FINITE_WEBHOOK_DISABLE_AFTER_HOURS", "120"),
        ),
        webhook_lease_seconds=_positive_int(
            "FINITE_WEBHOOK_LEASE_SECONDS", env_vars.get("FINITE_WEBHOOK_LEASE_SECONDS", "60")
        ),
        import_lease_seconds=_positive_int(
            "FINITE_IMPORT_LEASE_SECONDS", env_vars.get("FINITE_IMPORT_LEASE_SECONDS", "60")
        ),
        import_max_mb=_positive_int(
            "FINITE_IMPORT_MAX_MB", env_vars.get("FINITE_IMPORT_MAX_MB", "2048")
        ),
        db_pool_size=_positive_int(
            "FINITE_DB_POOL_SIZE", env_vars.get("FINITE_DB_POOL_SIZE", str(DEFAULT_POOL_SIZE))
        ),
        key_cache=_flag(env_vars.get("FINITE_KEY_CACHE", "1")),
        processes=_positive_int("FINITE_PROCESSES", env_vars.get("FINITE_PROCESSES", "1")),
        rate_limit_fail_closed=frozenset(
            _split_list(env_vars.get("FINITE_RATE_LIMIT_FAIL_CLOSED", ""))
        ),
        redis_cluster=_flag(env_vars.get("FINITE_REDIS_CLUSTER", "0")),
        metrics_token=env_vars.get("FINITE_METRICS_TOKEN", "").strip() or None,
        log_format=_log_format(env_vars.get("FINITE_LOG_FORMAT", "text")),
        smtp=_smtp(env_vars.get("FINITE_SMTP_URL", "")),
        mail_from=env_vars.get("FINITE_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM,
        public_url=_public_url(env_vars.get("FINITE_PUBLIC_URL", "")),
        retention_days=_retention_days(env_vars),
        retention_interval_seconds=_positive_int(
            "FINITE_RETENTION_INTERVAL_SECONDS",
            env_vars.get("FINITE_RETENTION_INTERVAL_SECONDS", "3600"),
        ),
        retention_batch_size=_positive_int(
            "FINITE_RETENTION_BATCH_SIZE", env_vars.get("FINITE_RETENTION_BATCH_SIZE", "500")
        ),
        body_timeout_seconds=_positive_int(
            "FINITE_BODY_TIMEOUT_SECONDS", env_vars.get("FINITE_BODY_TIMEOUT_SECONDS", "30")
        ),
        trusted_proxies=_trusted_proxies(env_vars.get("FINITE_TRUSTED_PROXIES", "")),
    )


def _trusted_proxies(value: str) -> tuple[str, ...]:
    proxies = _split_list(value)
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"FINITE_TRUSTED_PROXIES takes IP addresses and networks (10.0.0.0/8), "
                f"not {proxy!r}"
            ) from None
    return proxies


def _retention_days(env_vars: Mapping[str, str]) -> dict[str, int]:
    """Every FINITE_RETENTION_<KIND>_DAYS set; whether the kind exists is checked where the
    kinds are known (core/retention/)."""
    days: dict[str, int] = {}
    for name, value in env_vars.items():
        match = _RETENTION_DAYS.fullmatch(name)
        if match is None or not value.strip():
            continue
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number of days, not {value!r}") from None
        if not 0 <= number <= MAX_RETENTION_DAYS:
            raise ConfigError(
                f"{name} must be 0 (keep for good) to {MAX_RETENTION_DAYS}, not {number}"
            )
        days[match.group(1).lower()] = number
    return days


def _allow_private_targets(env_vars: Mapping[str, str]) -> bool:
    """FINITE_ALLOW_PRIVATE_TARGETS when set; otherwise its deprecated alias."""
    for name in (ALLOW_PRIVATE_TARGETS, *ALLOW_PRIVATE_TARGETS_ALIASES):
        value = env_vars.get(name, "")
        if value.strip():
            return _flag(value)
    return False


def _log_format(value: str) -> LogFormat:
    normalized = value.strip().lower()
    if normalized in ("", "text"):
        return "text"
    if normalized == "json":
        return "json"
    raise ConfigError(f"FINITE_LOG_FORMAT must be 'text' or 'json', not {value!r}")


def _environment(value: str) -> Environment:
    if value == "development":
        return "development"
    if value == "production":
        return "production"
    raise ConfigError(f"FINITE_ENV must be 'development' or 'production', not {value!r}")


def _secret_from_data_dir(data_dir: Path) -> str:
    """Create the embedded default's secret once (mode 0600) and read it back on later starts."""
    path = data_dir / SECRET_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(f"{path} holds a secret shorter than {MIN_SECRET_LENGTH}") from None
        return value
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError("FINITE_DATABASE_URL must be a postgresql:// or sqlite:/// URL")


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(f"FINITE_PORT must be a number, not {value!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"FINITE_PORT must be between 1 and 65535, not {port}")
    return port


def public_base_url(settings: Settings) -> str:
    """Where links in mail point: FINITE_PUBLIC_URL, or the address `finite serve` listens on."""
    if settings.public_url:
        return settings.public_url
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}"


def _public_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "FINITE_PUBLIC_URL must be an http(s) address, e.g. https://handover.agency.example"
        )
    if parts.query or parts.fragment:
        raise ConfigError("FINITE_PUBLIC_URL must not have a query or a fragment")
    return value.rstrip("/")


def _smtp(value: str) -> SmtpSettings | None:
    if not value.strip():
        return None
    try:
        return parse_smtp_url(value.strip())
    except SmtpUrlError as exc:
        raise ConfigError(f"FINITE_SMTP_URL: {exc}") from None


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, not {number}")
    return number
