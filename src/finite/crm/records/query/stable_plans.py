"""Which lists have one best plan whatever their values, so PostgreSQL may plan them once.

PostgreSQL plans a prepared statement anew at every execution (a "custom plan") until a plan
made without the values looks no costlier; for our list statements it never does, so each list
request paid 0.4-1.2 ms of planning (a table with ~30 indexes, a count subquery) for 0.25 ms of
execution. For some lists the values cannot change the best plan: an index whose columns are
org_id, then the columns of the equality filters, then the sort's columns, reads exactly the
page in order, and every other path reads more. Those run on connections that keep one generic
plan per statement (Database.raw_read(generic_plans=True)); every other list (a search, a range
or text filter, a custom field) keeps a plan made for its values, since the best index for a
rare value is not the best for a common one.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table

from finite.crm.records.query.grammar import ListQuery


def has_value_independent_plan(table: Table, query: ListQuery) -> bool:
    """Whether one index serves the query's filters and order exactly, for any values."""
    if query.q or query.sort.custom:
        return False
    equal: set[str] = set()
    for found in query.filters:
        if found.custom or found.op != "eq" or found.field.kind.multiple:
            return False
        equal.add(found.field.key)
    order = ("id",) if query.sort.by_id else (query.sort.field.key, "id")
    return any(
        set(columns[1 : 1 + len(equal)]) == equal
        and columns[1 + len(equal) : 1 + len(equal) + len(order)] == order
        for columns in _btree_columns(table)
    )


@cache
def _btree_columns(table: Table) -> tuple[tuple[str, ...], ...]:
    """The column names of the table's indexes that lead with org_id (its primary key too)."""
    indexes = [tuple(column.name for column in index.columns) for index in table.indexes]
    indexes.append(tuple(column.name for column in table.primary_key.columns))
    return tuple(columns for columns in indexes if columns and columns[0] == "org_id")
