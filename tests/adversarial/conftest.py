"""The adversarial suites' fixtures: two organizations with one of everything, and the ledger
of every secret they saw and every log line written meanwhile (for the sweep at the end)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.adversarial.ledger import Ledger, LedgerHandler
from tests.adversarial.world import Client, World, make_world
from tests.factories import OrgSetup


@pytest.fixture(scope="package")
def ledger() -> Iterator[Ledger]:
    """One for this folder's tests: its handler hears every logger from the first of them to
    the last (the finite loggers at DEBUG), and no test outside it."""
    found = Ledger()
    handler = LedgerHandler(found)
    root, ours = logging.getLogger(), logging.getLogger("finite")
    level = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.DEBUG)
    yield found
    root.removeHandler(handler)
    ours.setLevel(level)


@pytest.fixture(autouse=True)
def _ledger_in_use(ledger: Ledger) -> None:
    """Every adversarial test logs into the ledger."""


@pytest.fixture
def org(org: OrgSetup, ledger: Ledger) -> OrgSetup:
    ledger.add(org.crm_key, org.handover_key)
    return org


@pytest.fixture
async def world(client: Client, db: Database, peppers: Peppers, ledger: Ledger) -> World:
    made = await make_world(client, db, peppers)
    for tenant in (made.a, made.b):
        ledger.add(tenant.org.crm_key, tenant.org.handover_key, *tenant.secrets)
    return made
