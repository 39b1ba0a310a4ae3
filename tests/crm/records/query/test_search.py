"""`q` search: the clause of finite.crm.records.query.search over the indexes of migration 0004,
on both engines. Records are written through the API (so the SQLite triggers and the PostgreSQL
generated column see real writes) and searched with `search_clause` under the caller's org
filter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import column, insert, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import crm_engine
from finite.crm.engines import SQLITE
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records import service
from finite.crm.records.query.build import list_select
from finite.crm.records.query.grammar import ListQuery, Sort
from finite.crm.records.query.search import fts_table, search_clause
from finite.kit.db import Database, engine_of
from finite.kit.db_types import UTCDateTime
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import alembic_config, migrate_to_head
from tests.crm.factories import created_id
from tests.factories import OrgSetup, bearer, make_org
from tests.query_plans import query_plan

Client = AsyncTestClient[Litestar]

ASHA = {"name": "Asha Rao", "company": "Acme Pumps", "email": "asha@acmepumps.in"}
RAVI = {"name": "Ravi Chen", "company": "Globex Corporation", "email": "ravi.chen@globex.com"}
MEI = {"name": "Mei Sato", "company": "Initech", "email": "mei@initech.io"}

# Every character with a meaning to LIKE, tsquery or FTS5 query syntax, alone and in words.
NASTY = [
    "'",
    '"',
    "''",
    '""',
    '"asha"',
    "a\"b'c",
    "%",
    "%%",
    "_",
    "_%_",
    ":",
    ":*",
    "asha:*",
    "&",
    "|",
    "!",
    "!asha",
    "asha & rao",
    "asha|rao",
    "(",
    ")",
    "(asha)",
    ")(",
    "\\",
    "\\\\",
    "\\'",
    "'\\",
    "asha\\",
    "<->",
    "asha <-> rao",
    "NEAR(asha rao)",
    "AND",
    "OR NOT",
    "asha AND",
    "*",
    "asha*",
    "^asha",
    "name:asha",
    "{name email}:asha",
    "-asha",
    "+asha",
    "a\x00sha",
    "\x00",
    "ǅemal Ωmega 名前",
    "x" * 300,
    # short words (the tsquery prefix path on PostgreSQL)
    "a'",
    "'b",
    "o'",
    "a\\",
    "\\a",
    "a:",
    "a*",
    "a&",
    "|a",
    "!a",
    "(a",
    "a)",
    "é'",
]


# --- Helpers ---------------------------------------------------------------------------------


async def update(client: Client, key: str, module: str, record_id: int, body: Any) -> None:
    path = f"/api/records/{module}/{record_id}"
    response = await client.put(path, json=body, headers=bearer(key))
    assert response.status_code == 200, response.text


async def remove(client: Client, key: str, module: str, record_id: int) -> None:
    response = await client.delete(f"/api/records/{module}/{record_id}", headers=bearer(key))
    assert response.status_code in (200, 204), response.text


async def found(db: Database, org_id: str, module: str, q: str) -> set[int]:
    """Ids of the org's records in `module` that the search clause matches."""
    table = MODULE_TABLES[module]
    async with db.read() as session:
        clause = search_clause(crm_engine(session), module, table, q)
        rows = await session.execute(
            select(table.c.org_id, table.c.id).where(table.c.org_id == org_id, clause)
        )
        pairs = rows.all()
    assert {pair[0] for pair in pairs} <= {org_id}
    return {pair[1] for pair in pairs}


async def assert_in_step(db: Database, module: str) -> None:
    """SQLite: the FTS5 index holds exactly what the module table holds (raises otherwise)."""
    if not db.is_sqlite:
        return
    fts = fts_table(module)
    async with db.transaction() as session:
        await session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def literal_matches(records: dict[int, dict[str, Any]], module: str, q: str) -> set[int]:
    """What a search of words of 3+ characters must find: every word a case-insensitive
    substring of one of the searchable fields."""
    words = q.replace("\x00", "").split()
    fields = MODULES[module].searchable
    return {
        record_id
        for record_id, body in records.items()
        if all(
            any(word.casefold() in str(body.get(field) or "").casefold() for field in fields)
            for word in words
        )
    }


# --- What search finds -----------------------------------------------------------------------


async def test_search_finds_by_name_email_fragment_and_company(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    asha = await created_id(client, key, "leads", ASHA)
    ravi = await created_id(client, key, "leads", RAVI)
    mei = await created_id(client, key, "leads", MEI)
    await created_id(client, key, "leads", {"name": "Unrelated Person", "description": "asha"})
    expectations = {
        "Asha": {asha},  # a name word
        "Rao": {asha},
        "Ash": {asha},  # a name prefix
        "Sat": {mei},
        "acmepumps": {asha},  # email fragments
        "asha@acme": {asha},
        "chen@glo": {ravi},
        "initech.io": {mei},
        "Acme": {asha},  # company words
        "Globex Corporation": {ravi},
        "corp": {ravi},
        "cmepu": {asha},  # inside a word
        "ASHA": {asha},  # any case
        "aSHA@ACMEPUMPS.IN": {asha},
        "asha acme": {asha},  # every word must match
        "rao pumps asha": {asha},
        "asha globex": set(),
        "nobody": set(),
        "zzz": set(),
    }
    for q, expected in expectations.items():
        assert await found(db, org.org_id, "leads", q) == expected, q
    assert await found(db, org.org_id, "leads", "") == set()
    assert await found(db, org.org_id, "leads", "   ") == set()


async def test_words_of_one_or_two_characters(client: Client, db: Database, org: OrgSetup) -> None:
    key = org.crm_key
    li = await created_id(client, key, "leads", {"name": "Li Wei", "company": "Yo Ltd"})
    ravi = await created_id(client, key, "leads", RAVI)
    assert li in await found(db, org.org_id, "leads", "Li")
    assert li in await found(db, org.org_id, "leads", "l")
    assert await found(db, org.org_id, "leads", "Li Wei") == {li}
    assert await found(db, org.org_id, "leads", "yo li") == {li}
    assert await found(db, org.org_id, "leads", "Ra chen") == {ravi}
    assert await found(db, org.org_id, "leads", "Wei zq") == set()
    assert await found(db, org.org_id, "leads", "q") == set()


async def test_special_characters_match_literally_and_never_raise(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    bodies = [
        ASHA,
        RAVI,
        {"name": "O'Brien & Sons", "company": "Pipes | Valves (North)"},
        {"name": '"Quoted" Name', "company": "100% Pure_Juice"},
        {"name": "Back\\Slash", "company": "Colon: Star:* Bang!"},
        {"name": "Under_score", "email": "under_score@x.io"},
    ]
    records: dict[int, dict[str, Any]] = {}
    for body in bodies:
        records[await created_id(client, key, "leads", body)] = body
    obrien, quoted, slash, under = list(records)[2:]
    expectations = {
        "O'Brien": {obrien},
        "o'b": {obrien},
        "&": {obrien},
        "Sons": {obrien},
        "|": {obrien},
        "(North)": {obrien},
        '"Quoted"': {quoted},
        '"': {quoted},
        "100%": {quoted},
        "%": {quoted},
        "Pure_Juice": {quoted},
        "_": {quoted, under},
        "e_j": {quoted},
        "Back\\Slash": {slash},
        "\\": {slash},
        "Star:*": {slash},
        "Bang!": {slash},
        "!": {slash},
        "Colon:": {slash},
    }
    for q, expected in expectations.items():
        assert await found(db, org.org_id, "leads", q) == expected, q
    for q in NASTY:
        result = await found(db, org.org_id, "leads", q)  # never raises
        words = q.replace("\x00", "").split()
        if words and all(len(word) >= 3 for word in words):
            assert result == literal_matches(records, "leads", q), q
    assert await found(db, org.org_id, "leads", "a\x00sha") == {next(iter(records))}


async def test_updates_and_deletes_keep_the_index_in_step(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    lead = await created_id(client, key, "leads", {"name": "Zed Quill", "company": "Oldco"})
    other = await created_id(client, key, "leads", {"name": "Oldco Fan"})
    assert await found(db, org.org_id, "leads", "oldco") == {lead, other}
    await update(client, key, "leads", lead, {"company": "Newco", "email": "zed@newmail.example"})
    assert await found(db, org.org_id, "leads", "oldco") == {other}
    assert await found(db, org.org_id, "leads", "newco") == {lead}
    assert await found(db, org.org_id, "leads", "newmail") == {lead}
    await update(client, key, "leads", lead, {"phone": "+1 555 0100"})  # not a searchable field
    assert await found(db, org.org_id, "leads", "quill newco") == {lead}
    await update(client, key, "leads", lead, {"email": None})
    assert await found(db, org.org_id, "leads", "newmail") == set()
    await assert_in_step(db, "leads")
    await remove(client, key, "leads", lead)
    assert await found(db, org.org_id, "leads", "newco") == set()
    assert await found(db, org.org_id, "leads", "quill") == set()
    assert await found(db, org.org_id, "leads", "oldco") == {other}
    await assert_in_step(db, "leads")


async def test_another_orgs_records_never_match(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    for _ in range(3):  # the other org's ids run ahead, so equal ids cannot hide a leak
        await created_id(client, other.crm_key, "leads", {"name": "Filler"})
    theirs = await created_id(client, other.crm_key, "leads", ASHA)
    only_theirs = await created_id(client, other.crm_key, "leads", {"name": "Xylophone Ltd"})
    mine = await created_id(client, org.crm_key, "leads", ASHA)
    assert await found(db, org.org_id, "leads", "asha acmepumps") == {mine}
    assert await found(db, other.org_id, "leads", "asha acmepumps") == {theirs}
    assert await found(db, org.org_id, "leads", "xylophone") == set()
    assert await found(db, org.org_id, "leads", "xy") == set()
    assert await found(db, other.org_id, "leads", "xylophone") == {only_theirs}


async def test_modules_search_their_own_fields(client: Client, db: Database, org: OrgSetup) -> None:
    key = org.crm_key
    ines = {"name": "Ines Novak", "email": "ines@novak-law.eu", "title": "CFO"}
    contact = await created_id(client, key, "contacts", ines)
    account = await created_id(
        client, key, "accounts", {"name": "Umbrella Holdings", "email": "ops@umbrella.example"}
    )
    quote = await created_id(
        client, key, "quotes", {"subject": "Kiln pump retrofit", "quote_number": "QT-2026-0042"}
    )
    ticket = await created_id(
        client,
        key,
        "tickets",
        {"subject": "Pump noise", "ticket_number": "TCK-7781", "email": "ops@umbrella.example"},
    )
    renewal = {"subject": "Renewal", "from_address": "lars@hooli.example", "to_address": "b@y.io"}
    mail = await created_id(client, key, "salesinbox", renewal)
    cases = [
        ("contacts", "novak", {contact}),
        ("contacts", "ines@novak", {contact}),
        ("contacts", "cfo", set()),  # title is not searchable
        ("accounts", "umbrella", {account}),
        ("accounts", "ops@umb", {account}),
        ("quotes", "kiln", {quote}),
        ("quotes", "retro", {quote}),
        ("quotes", "QT-2026", {quote}),
        ("quotes", "0042", {quote}),
        ("quotes", "pump QT", {quote}),
        ("quotes", "umbrella", set()),
        ("tickets", "TCK-77", {ticket}),
        ("tickets", "noise umbrella", {ticket}),
        ("salesinbox", "hooli", {mail}),
        ("salesinbox", "b@y.io", {mail}),
        ("salesinbox", "renewal lars", {mail}),
    ]
    for module, q, expected in cases:
        assert await found(db, org.org_id, module, q) == expected, (module, q)


def title_body(module: str, word: str) -> dict[str, Any]:
    """The smallest valid record of a module, its title holding `word`."""
    title = next(field for field in MODULES[module].fields if field.required)
    if title.type == "url":  # PostgreSQL's parser keeps a URL's host as one word
        return {title.key: f"https://{word}.example.com/page"}
    return {title.key: f"The {word} record"}


@pytest.mark.parametrize("module", list(MODULES))
async def test_every_module_is_searchable(
    client: Client, db: Database, org: OrgSetup, module: str
) -> None:
    record = await created_id(client, org.crm_key, module, title_body(module, "Quetzal"))
    await created_id(client, org.crm_key, module, title_body(module, "other"))
    assert await found(db, org.org_id, module, "quetzal") == {record}
    assert await found(db, org.org_id, module, "QUETZ") == {record}
    assert await found(db, org.org_id, module, "qu") == {record}
    assert await found(db, org.org_id, module, "quetzal other") == set()
    await remove(client, org.crm_key, module, record)
    assert await found(db, org.org_id, module, "quetzal") == set()
    await assert_in_step(db, module)


# --- The indexes serve the clause --------------------------------------------------------------


async def plan(session: AsyncSession, module: str, q: str) -> str:
    """The query plan of a search, with every access path but the search indexes disabled on
    PostgreSQL (its tables are too small here for the planner to want them otherwise)."""
    table = MODULE_TABLES[module]
    statement = select(table.c.id).where(search_clause(crm_engine(session), module, table, q))
    return await query_plan(session, statement, avoid=("seqscan", "indexscan", "indexonlyscan"))


@pytest.mark.parametrize("module", list(MODULES))
async def test_the_search_indexes_serve_every_module(db: Database, module: str) -> None:
    """The query's expressions are the indexes' (a registry change without a migration fails
    here), and each word is answered from an index."""
    name = MODULE_TABLES[module].name
    async with db.read(snapshot=True) as session:  # SET LOCAL needs a transaction
        if engine_of(session).name == "postgresql":
            assert f"ix_{name}_trgm" in await plan(session, module, "quetzal")
            assert f"ix_{name}_search" in await plan(session, module, "qu")
        else:
            assert "VIRTUAL TABLE INDEX" in await plan(session, module, "quetzal")
            fts = fts_table(module)
            info = await session.execute(text(f"SELECT name FROM pragma_table_info('{fts}')"))
            assert tuple(row[0] for row in info) == MODULES[module].searchable


# --- Migration 0004 ------------------------------------------------------------------------------


async def search_objects(db: Database) -> set[str]:
    """What migration 0004 made that is still there."""
    async with db.read() as session:
        if db.is_sqlite:
            rows = await session.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'crm\\_%\\_fts%' ESCAPE '\\'"
                    " AND type IN ('table', 'trigger')"
                )
            )
            return {row[0] for row in rows}
        queries = [
            "SELECT table_name || '.' || column_name FROM information_schema.columns"
            " WHERE column_name IN ('search', 'search_text') AND table_name LIKE 'crm\\_%'",
            "SELECT indexname FROM pg_indexes WHERE indexname ~ '^ix_crm_.*_(search|trgm)$'",
            "SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gin')",
        ]
        names: set[str] = set()
        for query in queries:
            names |= {row[0] for row in await session.execute(text(query))}
        return names


def expected_objects(sqlite: bool) -> set[str]:
    if sqlite:
        return {
            name
            for module in MODULES
            for name in (
                fts_table(module),
                *(f"{fts_table(module)}_{kind}" for kind in ("data", "idx", "docsize", "config")),
                *(f"{fts_table(module)}_{trigger}" for trigger in ("ai", "ad", "au")),
            )
        }
    tables = [MODULE_TABLES[module].name for module in MODULES]
    return (
        {f"{table}.{column}" for table in tables for column in ("search", "search_text")}
        | {f"ix_{table}_{kind}" for table in tables for kind in ("search", "trgm")}
        | {"pg_trgm", "btree_gin"}
    )


def test_migration_0004_up_down_up_keeps_search_in_step_with_existing_rows(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "0003")
    leads = MODULE_TABLES["leads"]
    now = datetime.now(UTC)

    async def write(statement: Any) -> None:
        db = Database(fresh_url)
        try:
            async with db.transaction() as session:
                await session.execute(statement)
        finally:
            await db.dispose()

    async def state() -> tuple[set[str], set[int]]:
        db = Database(fresh_url)
        try:
            objects = await search_objects(db)
            ids = await found(db, "org_m", "leads", "acmepumps") if objects else set()
            if objects:
                await assert_in_step(db, "leads")
        finally:
            await db.dispose()
        return objects, ids

    def lead(record_id: int) -> Any:
        return insert(leads).values(
            org_id="org_m",
            id=record_id,
            version=1,
            created_at=now,
            updated_at=now,
            custom={},
            **ASHA,
        )

    # The columns the table had at 0003 (the model has grown since).
    organizations = table(
        "organizations", column("id"), column("name"), column("created_at", UTCDateTime())
    )
    asyncio.run(write(insert(organizations).values(id="org_m", name="M", created_at=now)))
    asyncio.run(write(lead(1)))  # written before the search indexes exist

    migrate_to_head(fresh_url)
    expected = expected_objects(fresh_url.startswith("sqlite"))
    assert asyncio.run(state()) == (expected, {1})

    command.downgrade(config, "0003")
    assert asyncio.run(state()) == (set(), set())
    asyncio.run(write(lead(2)))  # writes work without the search objects (no stray trigger)
    asyncio.run(write(leads.update().values(company="Acme Pumps Intl")))

    migrate_to_head(fresh_url)
    assert asyncio.run(state()) == (expected, {1, 2})
    asyncio.run(write(leads.delete().where(leads.c.id == 1)))
    assert asyncio.run(state()) == (expected, {2})
    asyncio.run(write(organizations.delete()))  # cascades to the leads; the triggers follow
    assert asyncio.run(state()) == (expected, set())


# --- Paging through search results ---------------------------------------------------------------


async def walk(client: Client, key: str, params: dict[str, str]) -> list[int]:
    """Every id a search lists, page by page through next_cursor."""
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, "per_page": "2", **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/records/leads", params=query, headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [record["id"] for record in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            assert not body["has_more"]
            return ids
    raise AssertionError("the cursor walk did not end")


async def leads_in_two_orgs(
    client: Client, org: OrgSetup, other: OrgSetup, bodies: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Each lead created in `org` and, renamed, in `other`, interleaved; `org`'s by id."""
    mine: dict[int, dict[str, Any]] = {}
    for number, body in enumerate(bodies):
        mine[await created_id(client, org.crm_key, "leads", body)] = body
        await created_id(client, other.crm_key, "leads", {**body, "name": f"Asha Other{number}"})
    return mine


async def test_search_pages_walk_every_match_once_in_id_order(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    """Sorted by id (SQLite then reads the FTS5 index in rowid order and stops at the page's
    end): both directions, with a filter and a short word, another org's matches interleaved,
    a deleted record's cursor still continuing."""
    other = await make_org(db, peppers)
    bodies = [
        {
            "name": f"Asha Number{number}",
            "company": "Acme Pumps" if number % 3 else "Globex",
            "status": "New" if number % 2 else "Contacted",
        }
        for number in range(9)
    ]
    mine = await leads_in_two_orgs(client, org, other, bodies)
    acme = sorted(i for i, body in mine.items() if body["company"] == "Acme Pumps")
    new_acme = [i for i in acme if mine[i]["status"] == "New"]

    assert await walk(client, org.crm_key, {"q": "acme"}) == acme
    assert await walk(client, org.crm_key, {"q": "acme", "sort": "-id"}) == acme[::-1]
    assert await walk(client, org.crm_key, {"q": "acme", "status": "New"}) == new_acme
    assert await walk(client, org.crm_key, {"q": "acme pu"}) == acme  # "pu": a short word
    assert await walk(client, org.crm_key, {"q": "asha"}) == sorted(mine)
    assert await walk(client, other.crm_key, {"q": "acme"}) == acme  # its own ids 1..9

    first = await client.get(
        "/api/records/leads", params={"q": "acme", "per_page": "2"}, headers=bearer(org.crm_key)
    )
    await remove(client, org.crm_key, "leads", acme[1])  # the page's last record goes
    rest = await client.get(
        "/api/records/leads",
        params={"q": "acme", "per_page": "50", "cursor": first.json()["next_cursor"]},
        headers=bearer(org.crm_key),
    )
    assert [record["id"] for record in rest.json()["data"]] == acme[2:]


async def test_sqlite_search_in_id_order_reads_the_index_in_order(db: Database) -> None:
    """No temporary sort of every match: the plan walks the FTS5 index and stops at LIMIT."""
    if not db.is_sqlite:
        pytest.skip("the FTS5 plan is SQLite's")
    table = MODULE_TABLES["leads"]
    for descending in (False, True):
        query = ListQuery(q="acme pumps", sort=Sort(SYSTEM_FIELDS["id"], descending, False))
        statement = list_select(SQLITE, table, "leads", "org_x", query).limit(20)
        async with db.read() as session:
            steps = (await query_plan(session, statement)).splitlines()
        assert "VIRTUAL TABLE" in steps[0], steps
        assert not any("TEMP B-TREE" in step for step in steps), steps


@pytest.mark.parametrize("few", [0, 10**6], ids=["walk-the-sort-index", "sort-the-matches"])
async def test_searches_sorted_by_another_field_page_alike_either_way(
    client: Client,
    db: Database,
    peppers: Peppers,
    org: OrgSetup,
    monkeypatch: pytest.MonkeyPatch,
    few: int,
) -> None:
    """SQLite reads a search sorted by a field from the FTS5 index and sorts it when it
    matches few records, else walks the sort's index: the pages are the same either way (nulls
    last in both directions, equal values by id, filters, short words, another org's matches
    ignored)."""
    monkeypatch.setattr(service, "FEW_SEARCH_MATCHES", few)
    other = await make_org(db, peppers)
    bodies = [
        {
            "name": f"Asha Number{number}",
            "company": "Acme Pumps" if number % 4 else "Globex",
            "city": [None, "Lagos", "Accra", "Lagos", "Pune"][number % 5],
            "status": "New" if number % 3 else "Contacted",
        }
        for number in range(10)
    ]
    mine = await leads_in_two_orgs(client, org, other, bodies)

    def by_city(ids: list[int], descending: bool) -> list[int]:
        valued = sorted((i for i in ids if mine[i]["city"]), key=lambda i: (mine[i]["city"], i))
        nulls = sorted(i for i in ids if not mine[i]["city"])
        return [*valued[::-1], *nulls[::-1]] if descending else [*valued, *nulls]

    acme = [i for i, body in mine.items() if body["company"] == "Acme Pumps"]
    new_acme = [i for i in acme if mine[i]["status"] == "New"]
    for sort, descending in (("city", False), ("-city", True)):
        found = await walk(client, org.crm_key, {"q": "acme", "sort": sort})
        assert found == by_city(acme, descending), sort
        filtered = await walk(client, org.crm_key, {"q": "acme", "status": "New", "sort": sort})
        assert filtered == by_city(new_acme, descending), sort
        short = await walk(client, org.crm_key, {"q": "acme pu", "sort": sort})
        assert short == by_city(acme, descending), sort
        everyone = await walk(client, org.crm_key, {"q": "asha", "sort": sort})
        assert everyone == by_city(list(mine), descending), sort


async def test_sqlite_search_with_few_matches_reads_the_fts_index_first(db: Database) -> None:
    """Sorted by a field, few matches: the FTS5 table is the outer loop (a plain JOIN let
    SQLite walk the sort's index and ask FTS5 about each record: minutes at 1M records)."""
    if not db.is_sqlite:
        pytest.skip("the FTS5 plan is SQLite's")
    table, spec = MODULE_TABLES["leads"], MODULES["leads"]
    for key in ("name", "city", "value"):
        field = spec.field(key)
        assert field is not None
        query = ListQuery(q="acme pumps", sort=Sort(field, False, False))
        statement = list_select(SQLITE, table, "leads", "org_x", query, few_matches=True)
        async with db.read() as session:
            steps = (await query_plan(session, statement.limit(20))).splitlines()
        assert "VIRTUAL TABLE" in steps[0], steps
