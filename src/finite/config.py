"""Settings read from FINITE_* environment variables (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from finite.kit.db import DEFAULT_POOL_SIZE
from finite.kit.private_files import private_folder

Environment = Literal["development", "production"]

SECRET_FILE_NAME = "secret_key"  # noqa: S105 - a file name, not a secret
# The one setting that lets outgoing requests (webhook deliveries, and every later kind) reach
# loopback and private addresses on any port; refusals name it (core/webhooks/targets.py).
ALLOW_PRIVATE_TARGETS = "FINITE_ALLOW_PRIVATE_TARGETS"
ALLOW_PRIVATE_TARGETS_ALIASES = ("FINITE_WEBHOOKS_ALLOW_PRIVATE",)  # deprecated, still read
MIN_SECRET_LENGTH = 32


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
    # The longest a request body may take to arrive, whole: a client that sends it slower gets
    # 408 and the connection is closed, so slow senders cannot hold server tasks open.
    body_timeout_seconds: int = 30


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
        db_pool_size=_positive_int(
            "FINITE_DB_POOL_SIZE", env_vars.get("FINITE_DB_POOL_SIZE", str(DEFAULT_POOL_SIZE))
        ),
        key_cache=_flag(env_vars.get("FINITE_KEY_CACHE", "1")),
        processes=_positive_int("FINITE_PROCESSES", env_vars.get("FINITE_PROCESSES", "1")),
        rate_limit_fail_closed=frozenset(
            _split_list(env_vars.get("FINITE_RATE_LIMIT_FAIL_CLOSED", ""))
        ),
        body_timeout_seconds=_positive_int(
            "FINITE_BODY_TIMEOUT_SECONDS", env_vars.get("FINITE_BODY_TIMEOUT_SECONDS", "30")
        ),
    )


def _allow_private_targets(env_vars: Mapping[str, str]) -> bool:
    """FINITE_ALLOW_PRIVATE_TARGETS when set; otherwise its deprecated alias."""
    for name in (ALLOW_PRIVATE_TARGETS, *ALLOW_PRIVATE_TARGETS_ALIASES):
        value = env_vars.get(name, "")
        if value.strip():
            return _flag(value)
    return False


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
