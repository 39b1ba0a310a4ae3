"""What every real-browser test shares: Debian's `chromium` driven by Playwright (without its
own download), a data folder with a migrated SQLite database, a member with a password, a real
`finite serve`, and pages that collect their console and script errors. Screenshots go under the
test's tmp folder, or FINITE_TEST_SCREENSHOTS (CI keeps .ci/artifacts/screenshots)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.console.helpers import ConsoleMember, make_console_member
from tests.factories import OrgSetup, make_org
from tests.servers import Server, Servers, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM = "/usr/bin/chromium"
DESKTOP = (1280, 900)
PHONE = (390, 844)
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

needs_chromium = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

T = TypeVar("T")


@dataclass(frozen=True)
class DataFolder:
    path: Path
    database_url: str


@dataclass(frozen=True)
class Site:
    folder: DataFolder
    org: OrgSetup
    member: ConsoleMember


def data_folder(tmp_path: Path) -> DataFolder:
    """A fresh data folder whose SQLite database is migrated to head."""
    path = tmp_path / "data"
    path.mkdir()
    database_url = f"sqlite+aiosqlite:///{path / 'finite.db'}"
    migrate_to_head(database_url)
    return DataFolder(path, database_url)


def seed(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the database before (or beside) the server."""

    async def run() -> T:
        db = Database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def site_with_member(tmp_path: Path, name: str = "Bea Browser") -> Site:
    """A data folder with an org and an admin member who signs in with `PASSWORD`."""
    folder = data_folder(tmp_path)

    async def work(db: Database) -> tuple[OrgSetup, ConsoleMember]:
        org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
        return org, await make_console_member(db, org.org_id, name=name)

    org, member = seed(folder.database_url, work)
    return Site(folder, org, member)


def start_server(servers: Servers, folder: DataFolder, **finite: str) -> Server:
    """`finite serve` on the folder; `finite` adds FINITE_* settings (e.g. inline_worker="1")."""
    (server,) = servers.start(
        server_env(
            data_dir=str(folder.path),
            database_url=folder.database_url,
            secret_key=TEST_SECRET,
            demo="0",
            **finite,
        )
    )
    return server


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FINITE_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Served:
    org: OrgSetup
    member: ConsoleMember
    server: Server
    shots: Path


def serve_site(
    servers: Servers, tmp_path: Path, name: str = "Bea Browser", **finite: str
) -> Served:
    """`site_with_member`, its server started (with `finite` settings), a screenshots folder."""
    site = site_with_member(tmp_path, name)
    server = start_server(servers, site.folder, **finite)
    return Served(site.org, site.member, server, screenshots(tmp_path))


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)
    """Console errors (CSP violations, script errors) the page reported."""


@contextmanager
def open_page(
    browser: Browser,
    viewport: tuple[int, int],
    *,
    ignore: Callable[[str], bool] = lambda text: False,
    accept_downloads: bool = False,
) -> Iterator[Tab]:
    """A new context and page at `viewport`; console errors not `ignore`d go to `errors`."""
    width, height = viewport
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=accept_downloads
    )
    try:
        tab = Tab(context, context.new_page())

        def console(message: ConsoleMessage) -> None:
            if message.type == "error" and not ignore(message.text):
                tab.errors.append(message.text)

        tab.page.on("console", console)
        yield tab
    finally:
        context.close()
