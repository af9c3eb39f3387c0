"""Disposal reaches every table: each one is either emptied of the person or holds no
personal data of theirs, so a table added later cannot be forgotten by MoPI disposal."""

from __future__ import annotations

from safeguard.adapters.db import tables
from safeguard.adapters.db.disposal import DISPOSED_FROM, HOLDS_NO_PERSON_DATA


def test_every_table_is_placed() -> None:
    every = set(tables.metadata.tables)
    placed = set(DISPOSED_FROM) | set(HOLDS_NO_PERSON_DATA)
    assert every - placed == set(), "place each new table in DISPOSED_FROM or HOLDS_NO_PERSON_DATA"
    assert placed - every == set(), "a placed table no longer exists"
    assert not set(DISPOSED_FROM) & set(HOLDS_NO_PERSON_DATA)
