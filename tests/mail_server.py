"""A real SMTP server on loopback for mail tests (aiosmtpd): plain, STARTTLS or implicit TLS,
with or without a login, recording every message it accepts and refusing recipients as told.

Its certificate is self-signed for 127.0.0.1 and `localhost`; `ca_file` is that certificate,
which a client trusts with `?ca_file=` in FINITE_SMTP_URL."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import free_port


@dataclass
class Accepted:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool  # the session was encrypted when the message arrived
    login: str | None

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailServer:
    port: int
    security: str  # none | starttls | tls
    ca_file: str
    login: tuple[str, str] | None
    accepted: list[Accepted] = field(default_factory=list)
    # Recipient address → the answer to its RCPT TO, e.g. "550 5.1.1 No such user".
    refuse: dict[str, str] = field(default_factory=dict)

    def url(self, *, scheme: str | None = None, login: tuple[str, str] | None = None) -> str:
        scheme = (
            scheme or {"none": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        )
        credentials = login if login is not None else self.login
        auth = (
            f"{quote(credentials[0], safe='')}:{quote(credentials[1], safe='')}@"
            if credentials
            else ""
        )
        query = f"?ca_file={self.ca_file}&timeout=5" if self.security != "none" else "?timeout=5"
        return f"{scheme}://{auth}127.0.0.1:{self.port}{query}"


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.server.refuse:
            return self.server.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.server.accepted.append(
            Accepted(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                data=content,
                # aiosmtpd sets session.ssl after STARTTLS only; implicit TLS is TLS throughout.
                tls=self.server.security == "tls" or session.ssl is not None,
                login=session.auth_data.login.decode()
                if isinstance(session.auth_data, LoginPassword)
                else None,
            )
        )
        return "250 Message accepted"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def running_mail_server(
    security: str = "none", login: tuple[str, str] | None = None, port: int | None = None
) -> Iterator[MailServer]:
    """`security`: `none` (plain), `starttls` (required before MAIL), `tls` (implicit); on a
    free port unless given one (a drill starts it where a client already points)."""
    with tempfile.TemporaryDirectory(prefix="finite-smtp-") as folder:
        cert, key = _certificate(Path(folder))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server = MailServer(port or free_port(), security, str(cert), login)

        def authenticate(
            smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            good = (
                login is not None
                and isinstance(data, LoginPassword)
                and (data.login.decode(), data.password.decode()) == login
            )
            # handled=False: aiosmtpd answers a failure with 535 itself.
            return AuthResult(success=good, handled=False, auth_data=data if good else None)

        options: dict[str, Any] = {}
        if security == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if security == "tls":
            options.update(ssl_context=context)
        if login is not None:
            options.update(
                authenticator=authenticate,
                auth_required=True,
                # Implicit TLS is encrypted from the start, which aiosmtpd does not see.
                auth_require_tls=security == "starttls",
            )
        controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port, **options)
        controller.start()
        try:
            yield server
        finally:
            controller.stop()
