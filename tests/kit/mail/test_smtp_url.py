"""FINITE_SMTP_URL: the scheme picks the security, the rest is where and who."""

from __future__ import annotations

import pytest

from finite.kit.mail.smtp_url import SmtpSettings, SmtpUrlError, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", SmtpSettings("mail.example", 25, "opportunistic")),
        ("smtp+starttls://mail.example", SmtpSettings("mail.example", 587, "starttls")),
        ("smtps://mail.example", SmtpSettings("mail.example", 465, "tls")),
        (
            "smtp+starttls://me%40agency.example:p%40ss%3Aword@mail.example:2525"
            "?ca_file=/etc/ca.pem&timeout=10",
            SmtpSettings(
                "mail.example",
                2525,
                "starttls",
                username="me@agency.example",
                password="p@ss:word",
                ca_file="/etc/ca.pem",
                timeout=10.0,
            ),
        ),
    ],
)
def test_what_a_url_says(url: str, expected: SmtpSettings) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://mail.example", "scheme 'http' is not one of smtp, smtp+starttls, smtps"),
        ("smtp://", "a host is required"),
        ("smtp://mail.example:99999", "the port is not a number between 1 and 65535"),
        ("smtp://mail.example?verify=0", "unknown option(s) verify"),
        ("smtp://mail.example?timeout=soon", "timeout must be a positive number"),
        ("smtp://mail.example?timeout=0", "timeout must be a positive number"),
        ("smtp://:secret@mail.example", "a password needs a user name"),
    ],
)
def test_what_cannot_be_used_says_why(url: str, reason: str) -> None:
    with pytest.raises(SmtpUrlError) as refused:
        parse_smtp_url(url)
    assert reason in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_password_is_never_shown() -> None:
    settings = parse_smtp_url("smtps://me:hunter2@mail.example")
    assert "hunter2" not in repr(settings)
