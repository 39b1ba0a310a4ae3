"""`FINITE_SMTP_URL`: where mail goes and how to reach it, in one setting.

    smtp://user:password@host:587            STARTTLS when the server offers it
    smtp+starttls://user:password@host:587   STARTTLS required (refuses a server without it)
    smtps://user:password@host:465           TLS from the first byte ("implicit TLS")

Query options: `ca_file=/path/ca.pem` (trust this CA, e.g. a private relay's),
`timeout=30` (seconds for each step). The user name and password are percent-decoded, so a
password holding `@` or `:` is written `%40`, `%3A`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

_SCHEMES = {"smtp": "opportunistic", "smtp+starttls": "starttls", "smtps": "tls"}
_DEFAULT_PORTS = {"opportunistic": 25, "starttls": 587, "tls": 465}
_OPTIONS = frozenset({"ca_file", "timeout"})
DEFAULT_TIMEOUT_SECONDS = 30.0


class SmtpUrlError(ValueError):
    """The URL cannot be used; the message says why (never the password)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # opportunistic | starttls | tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url)
    security = _SCHEMES.get(parts.scheme.lower())
    if security is None:
        raise SmtpUrlError(f"scheme {parts.scheme!r} is not one of {', '.join(sorted(_SCHEMES))}")
    if not parts.hostname:
        raise SmtpUrlError("a host is required, e.g. smtp+starttls://user:pass@mail.example:587")
    try:
        port = parts.port or _DEFAULT_PORTS[security]
    except ValueError as exc:
        raise SmtpUrlError(f"the port is not a number between 1 and 65535 ({exc})") from None
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise SmtpUrlError(f"unknown option(s) {', '.join(unknown)}; known: ca_file, timeout")
    timeout = DEFAULT_TIMEOUT_SECONDS
    if "timeout" in options:
        try:
            timeout = float(options["timeout"][-1])
        except ValueError:
            timeout = 0.0
        if timeout <= 0:
            raise SmtpUrlError("timeout must be a positive number of seconds")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise SmtpUrlError("a password needs a user name")
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        security=security,
        username=username,
        password=password,
        ca_file=options["ca_file"][-1] if "ca_file" in options else None,
        timeout=timeout,
    )
