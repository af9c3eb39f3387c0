"""The clustering in chunks of components (the guards of the next chunk computed while this one
is clustered) gives what one clustering of every component gives."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from safeguard.adapters.linkage import clustering
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.domain.linking import Constraints
from tests.linkage_data import make_households

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def linked() -> Any:
    data = make_households(400, seed=8)
    events = pa.table(
        {"mention_id": [m for m, _ in data.events], "event_id": [e for _, e in data.events]}
    )
    with LinkingSession() as session:
        session.load(raw_from_records(data.rows), today=TODAY)
        session.load_events(events)
        session.train()
        prediction = session.predict(threshold=0.5)
        yield session, prediction, session.mention_ids(), session.unlinkable()


def _cluster(linked: Any, **options: Any) -> tuple[Any, dict[str, int], int]:
    """The clustering, the pairs per guard, and how many chunks the guards were asked for."""
    session, prediction, ids, unlinkable = linked
    guard_pairs = session.guard_pairs()
    calls = []

    def counted(nodes: Any, component: Any) -> Any:
        calls.append(len(nodes))
        return guard_pairs(nodes, component)

    found = cluster_prediction(
        ids, prediction, threshold=0.95, isolated=unlinkable, guard_pairs=counted, **options
    )
    return found, dict(session.guard_counts), len(calls)


@pytest.mark.parametrize("hold_ambiguous", [False, True])
def test_chunks_of_components_cluster_as_one_clustering(
    linked: Any, monkeypatch: pytest.MonkeyPatch, hold_ambiguous: bool
) -> None:
    _, prediction, _, _ = linked
    strong = prediction.probability >= 0.95
    a, b = prediction.left[strong], prediction.right[strong]
    # an analyst's split and merge, each inside a component
    decided = Constraints(
        must_link=frozenset({(int(a[3]), int(b[3]))}),
        cannot_link=frozenset({(int(a[10]), int(b[10]))}),
    )
    options = {"constraints": decided, "hold_ambiguous": hold_ambiguous}
    monkeypatch.setattr(clustering, "GUARD_CHUNKS", 1)
    whole, whole_counts, calls = _cluster(linked, **options)
    assert calls == 1
    monkeypatch.setattr(clustering, "GUARD_CHUNKS", 4)
    monkeypatch.setattr(clustering, "GUARD_CHUNK_PAIRS", 1)
    chunked, chunked_counts, calls = _cluster(linked, **options)
    assert calls == 4
    assert whole_counts and chunked_counts == whole_counts
    assert chunked.cluster_of == whole.cluster_of
    assert len(set(whole.cluster_of.values())) < len(whole.cluster_of)
    assert whole.refused and chunked.refused == whole.refused  # same merges, same order
    assert {r.reason for r in whole.refused} >= {"joins_look_alike_people", "analyst_split"}


def test_components_are_chunked_by_the_pairs_inside_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clustering, "GUARD_CHUNK_PAIRS", 1000)
    sizes = np.array([100, 1, 1, 100, 2, 100, 100], dtype=np.int64)
    chunks = clustering._component_chunks(sizes, 4)
    assert list(chunks) == sorted(chunks)  # consecutive components
    assert chunks[0] == 0 and chunks[-1] == 3
    assert set(clustering._component_chunks(np.array([3, 3]), 4)) == {0}  # too few pairs
