"""Both linking backends implement the services' protocol; only DuckDB runs deltas."""

from __future__ import annotations

import inspect

from safeguard.adapters.linkage.backend import (
    DeltaLinkingBackend,
    LinkingBackend,
    RelinkingBackend,
)
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.spark import SparkLinkingSession


def _keywords(fn: object) -> set[str]:
    return {
        name
        for name, p in inspect.signature(fn).parameters.items()  # type: ignore[arg-type]
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def test_duckdb_session_is_a_delta_backend() -> None:
    assert issubclass(LinkingSession, LinkingBackend)
    assert issubclass(LinkingSession, DeltaLinkingBackend)
    assert issubclass(LinkingSession, RelinkingBackend)


def test_spark_session_is_a_backend_but_runs_no_deltas() -> None:
    assert issubclass(SparkLinkingSession, LinkingBackend)
    assert not issubclass(SparkLinkingSession, DeltaLinkingBackend)
    assert not issubclass(SparkLinkingSession, RelinkingBackend)  # a Spark run is always full


def test_backends_take_the_protocols_keywords() -> None:
    for name in ("load", "train", "predict", "unlinkable", "mention_ids", "save_store"):
        wanted = _keywords(getattr(LinkingBackend, name))
        for backend in (LinkingSession, SparkLinkingSession):
            assert _keywords(getattr(backend, name)) == wanted, (backend.__name__, name)


def test_duckdb_session_satisfies_the_protocol_at_runtime() -> None:
    with LinkingSession() as session:
        assert isinstance(session, DeltaLinkingBackend)
        assert session.enabled_guards(frozenset({"twins"})) == session.enabled_guards() - {"twins"}
