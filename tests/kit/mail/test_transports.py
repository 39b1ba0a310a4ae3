"""Mail handed to a real SMTP server (aiosmtpd on loopback) in each of its security modes, and
written to a folder when no server is configured; failures say whether a retry may help."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from finite.kit.mail.message import Mail
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import FolderTransport, MailFailed, SmtpTransport
from tests.mail_server import running_mail_server
from tests.servers import free_port

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LOGIN = ("agency@example.com", "p@ss:w0rd/with%odd chars")


def a_mail(to: str = "client@example.com") -> Mail:
    return Mail(
        sender="Acme Studio <studio@example.com>",
        to=(to,),
        subject="Your handover pack",
        text="Open your pack: https://finite.example/p/abc",
        html='<p>Open <a href="https://finite.example/p/abc">your pack</a></p>',
    )


def transport(url: str) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(url))


async def test_plain_smtp_delivers_text_and_html_with_its_message_id() -> None:
    mail = a_mail()
    with running_mail_server("none") as server:
        sent = await transport(server.url()).send(mail, now=NOW)
    (accepted,) = server.accepted
    assert sent.where == f"127.0.0.1:{server.port}"
    assert accepted.recipients == ["client@example.com"]
    assert accepted.sender == "studio@example.com"
    message = accepted.message()
    assert message["Message-ID"] == mail.message_id
    assert message["Subject"] == "Your handover pack"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "https://finite.example/p/abc" in text.get_content()
    assert '<a href="https://finite.example/p/abc">' in html.get_content()


async def test_starttls_with_a_login_encrypts_before_the_password_is_sent() -> None:
    with running_mail_server("starttls", login=LOGIN) as server:
        await transport(server.url()).send(a_mail(), now=NOW)
    (accepted,) = server.accepted
    assert accepted.tls
    assert accepted.login == LOGIN[0]


async def test_opportunistic_smtp_upgrades_when_the_server_offers_starttls() -> None:
    with running_mail_server("starttls") as server:
        await transport(server.url(scheme="smtp")).send(a_mail(), now=NOW)
    assert [accepted.tls for accepted in server.accepted] == [True]


async def test_implicit_tls() -> None:
    with running_mail_server("tls", login=LOGIN) as server:
        await transport(server.url()).send(a_mail(), now=NOW)
    assert [accepted.tls for accepted in server.accepted] == [True]


async def test_a_certificate_nobody_vouches_for_is_refused_and_may_be_retried() -> None:
    with running_mail_server("tls") as server:
        url = server.url().split("?")[0]  # without ca_file: the self-signed certificate fails
        with pytest.raises(MailFailed) as failed:
            await transport(url).send(a_mail(), now=NOW)
    assert not failed.value.permanent
    assert "CERTIFICATE_VERIFY_FAILED" in failed.value.reason
    assert server.accepted == []


async def test_required_starttls_refuses_a_server_without_it() -> None:
    with running_mail_server("none") as server, pytest.raises(MailFailed) as failed:
        await transport(server.url(scheme="smtp+starttls")).send(a_mail(), now=NOW)
    assert not failed.value.permanent
    assert "STARTTLS" in failed.value.reason
    assert server.accepted == []


async def test_a_wrong_password_waits_for_the_operator_and_is_not_shown() -> None:
    with (
        running_mail_server("starttls", login=LOGIN) as server,
        pytest.raises(MailFailed) as failed,
    ):
        await transport(server.url(login=(LOGIN[0], "wrong"))).send(a_mail(), now=NOW)
    assert not failed.value.permanent
    assert "user name and password" in failed.value.reason
    assert "wrong" not in failed.value.reason
    assert server.accepted == []


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [("550 5.1.1 No such user", True), ("451 4.3.0 Mailbox busy, try later", False)],
)
async def test_a_refused_recipient_is_permanent_only_on_a_5xx_answer(
    answer: str, permanent: bool
) -> None:
    with running_mail_server("none") as server:
        server.refuse["gone@example.com"] = answer
        with pytest.raises(MailFailed) as failed:
            await transport(server.url()).send(a_mail("gone@example.com"), now=NOW)
    assert failed.value.permanent is permanent
    assert answer.split(" ", 1)[0] in failed.value.reason
    assert "gone@example.com" in failed.value.reason


async def test_a_server_that_is_not_there_may_be_retried() -> None:
    with pytest.raises(MailFailed) as failed:
        await transport(f"smtp://127.0.0.1:{free_port()}?timeout=2").send(a_mail(), now=NOW)
    assert not failed.value.permanent
    assert "could not hand the mail to the server" in failed.value.reason


async def test_without_a_server_each_mail_is_a_private_eml_file(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    outbox = FolderTransport(folder)
    first = await outbox.send(a_mail(), now=NOW)
    second = await outbox.send(a_mail("other@example.com"), now=NOW)  # the same instant

    assert first.where != second.where
    for where in (first.where, second.where):
        path = Path(where)
        assert path.parent == folder
        assert path.name.startswith("20261207T093000.000000Z-your-handover-pack")
        assert path.suffix == ".eml"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    parsed = message_from_bytes(Path(second.where).read_bytes(), policy=policy.default)
    assert parsed["To"] == "other@example.com"
    assert "https://finite.example/p/abc" in parsed.as_string()
