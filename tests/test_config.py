"""Settings from FINITE_* variables; the embedded default's secret; production refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from finite.config import ConfigError, load_settings


def test_embedded_defaults_create_a_private_secret_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings({"FINITE_DATA_DIR": str(data_dir)})
    assert settings.env == "development"
    assert settings.database_url == f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    assert settings.redis_url is None
    secret_file = data_dir / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text().strip() == settings.secret_key
    assert len(settings.secret_key) >= 32
    again = load_settings({"FINITE_DATA_DIR": str(data_dir)})
    assert again.secret_key == settings.secret_key


def test_default_data_dir_is_finite_data_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.data_dir == tmp_path / "finite-data"


def test_production_refuses_to_start_without_an_explicit_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FINITE_SECRET_KEY"):
        load_settings({"FINITE_ENV": "production", "FINITE_DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_production_with_secrets_and_postgres(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "FINITE_ENV": "production",
            "FINITE_SECRET_KEY": "s" * 40,
            "FINITE_DATABASE_URL": "postgres://u:p@db:5432/finite",
            "FINITE_REDIS_URL": "redis://cache:6379/0",
            "FINITE_DATA_DIR": str(tmp_path / "unused"),
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/finite"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.demo_on_first_run is False
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FINITE_SECRET_KEY": "short"}, "at least 32"),
        ({"FINITE_ENV": "staging"}, "FINITE_ENV"),
        ({"FINITE_DATABASE_URL": "mysql://x/y"}, "FINITE_DATABASE_URL"),
        ({"FINITE_PORT": "eighty"}, "FINITE_PORT"),
        ({"FINITE_PORT": "70000"}, "FINITE_PORT"),
        ({"FINITE_DB_POOL_SIZE": "0"}, "FINITE_DB_POOL_SIZE"),
        ({"FINITE_DB_POOL_SIZE": "many"}, "FINITE_DB_POOL_SIZE"),
        ({"FINITE_SMTP_URL": "mail.example:587"}, "FINITE_SMTP_URL: scheme"),
        ({"FINITE_SMTP_URL": "smtps://me:pw@mail.example?verify=0"}, "FINITE_SMTP_URL: unknown"),
        ({"FINITE_RETENTION_EVENTS_DAYS": "-1"}, "FINITE_RETENTION_EVENTS_DAYS"),
        ({"FINITE_RETENTION_EVENTS_DAYS": "ninety"}, "FINITE_RETENTION_EVENTS_DAYS"),
        ({"FINITE_RETENTION_EVENTS_DAYS": "99999999999"}, "FINITE_RETENTION_EVENTS_DAYS"),
        ({"FINITE_RETENTION_BATCH_SIZE": "0"}, "FINITE_RETENTION_BATCH_SIZE"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, variables: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"FINITE_DATA_DIR": str(tmp_path), **variables})


def test_a_tampered_short_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("tiny\n")
    with pytest.raises(ConfigError, match="shorter"):
        load_settings({"FINITE_DATA_DIR": str(tmp_path)})


def test_secret_repr_is_hidden(tmp_path: Path) -> None:
    settings = load_settings({"FINITE_DATA_DIR": str(tmp_path)})
    assert settings.secret_key not in repr(settings)


def test_the_database_pool_size_is_read(tmp_path: Path) -> None:
    assert load_settings({"FINITE_DATA_DIR": str(tmp_path)}).db_pool_size == 16
    chosen = load_settings({"FINITE_DATA_DIR": str(tmp_path), "FINITE_DB_POOL_SIZE": "40"})
    assert chosen.db_pool_size == 40


@pytest.mark.parametrize(
    ("variables", "allowed"),
    [
        ({}, False),
        ({"FINITE_ALLOW_PRIVATE_TARGETS": "1"}, True),
        ({"FINITE_ALLOW_PRIVATE_TARGETS": "0"}, False),
        # The deprecated name of the same setting is still read; the new one wins when both are.
        ({"FINITE_WEBHOOKS_ALLOW_PRIVATE": "1"}, True),
        ({"FINITE_ALLOW_PRIVATE_TARGETS": "0", "FINITE_WEBHOOKS_ALLOW_PRIVATE": "1"}, False),
        ({"FINITE_ALLOW_PRIVATE_TARGETS": "1", "FINITE_WEBHOOKS_ALLOW_PRIVATE": "0"}, True),
    ],
)
def test_one_setting_allows_private_outgoing_targets(
    tmp_path: Path, variables: dict[str, str], allowed: bool
) -> None:
    settings = load_settings({"FINITE_DATA_DIR": str(tmp_path), **variables})
    assert settings.allow_private_targets is allowed


def test_rate_limit_outage_settings(tmp_path: Path) -> None:
    defaults = load_settings({"FINITE_DATA_DIR": str(tmp_path)})
    assert (defaults.processes, defaults.rate_limit_fail_closed) == (1, frozenset())
    settings = load_settings(
        {
            "FINITE_DATA_DIR": str(tmp_path),
            "FINITE_PROCESSES": "6",
            "FINITE_RATE_LIMIT_FAIL_CLOSED": " free, crm:standard ,",
        }
    )
    assert settings.processes == 6
    assert settings.rate_limit_fail_closed == frozenset({"free", "crm:standard"})
    for bad in ("0", "two"):
        with pytest.raises(ConfigError, match="FINITE_PROCESSES"):
            load_settings({"FINITE_DATA_DIR": str(tmp_path), "FINITE_PROCESSES": bad})


def test_mail_goes_to_files_unless_a_server_is_named(tmp_path: Path) -> None:
    plain = load_settings({"FINITE_DATA_DIR": str(tmp_path)})
    assert plain.smtp is None
    assert plain.mail_from == "Finite <finite@localhost>"
    named = load_settings(
        {
            "FINITE_DATA_DIR": str(tmp_path),
            "FINITE_SMTP_URL": "smtp+starttls://me:hunter2@mail.example",
            "FINITE_MAIL_FROM": "Acme <hello@acme.example>",
        }
    )
    assert named.smtp is not None
    assert (named.smtp.host, named.smtp.port, named.smtp.security) == (
        "mail.example",
        587,
        "starttls",
    )
    assert named.mail_from == "Acme <hello@acme.example>"
    assert "hunter2" not in repr(named)


def test_retention_days_are_read_per_kind(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "FINITE_DATA_DIR": str(tmp_path),
            "FINITE_RETENTION_EVENTS_DAYS": "30",
            "FINITE_RETENTION_WEBHOOK_ATTEMPTS_DAYS": "0",
            "FINITE_RETENTION_INTERVAL_SECONDS": "600",
        }
    )
    assert settings.retention_days == {"events": 30, "webhook_attempts": 0}
    assert settings.retention_interval_seconds == 600
    assert settings.retention_batch_size == 500


def test_old_and_next_secret_keys_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "FINITE_DATA_DIR": str(tmp_path),
            "FINITE_OLD_SECRET_KEYS": "o" * 40,
            "FINITE_NEXT_SECRET_KEYS": "n" * 40 + ", " + "m" * 40,
        }
    )
    assert settings.old_secret_keys == ("o" * 40,)
    assert settings.next_secret_keys == ("n" * 40, "m" * 40)
    assert "nnnn" not in repr(settings)
