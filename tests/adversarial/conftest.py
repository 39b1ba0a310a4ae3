"""The adversarial suites' fixtures: two organizations with one of everything."""

from __future__ import annotations

import pytest

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.adversarial.world import Client, World, make_world


@pytest.fixture
async def world(client: Client, db: Database, peppers: Peppers) -> World:
    return await make_world(client, db, peppers)
