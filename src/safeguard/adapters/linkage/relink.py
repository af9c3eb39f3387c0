"""A re-link that redoes only what changed since the last batch run with the same model.

A pair's score depends only on its two mentions' features and the model; a component's
clustering (``clustering.cluster_prediction``) only on its own mentions, links, guards, events
and analysts' decisions. So, given what the last run computed (``backend.PreviousRun``):

1. pairs with neither end changed keep their stored scores; only pairs with a changed end are
   scored (``RelinkingBackend.predict_changed``);
2. a component of the new links is clustered again if it holds a mention that is new, changed,
   whose events changed, that an analyst's decision made or undone since names, or that was in
   one component with such a mention (or a removed one) last time; every other component is the
   same component as last time, with the same links, features and decisions, and keeps its
   clusters and refused merges (``recluster``).

The result is the full run's: the same scored pairs, clusters and refused merges (the tests
compare the two on SQLite and PostgreSQL). ``run_key`` names everything else the stored results
depend on (the model, thresholds, guards and the code that computes them); under another key
the run is a full one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from safeguard.adapters.linkage.backend import GuardPairs, IntArray, Prediction, PreviousRun
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.domain.linking import Clustering, Constraints

# The modules whose code decides features, scores, guards and clusters: a change to any of them
# (a new release) makes the stored results stale.
_CODE = ("features.py", "model.py", "guards.py", "clustering.py", "engine.py", "relink.py")
STATE_FILE = "relink.duckdb"


def code_fingerprint() -> str:
    """A digest of the linking code and of the Splink and DuckDB versions it runs on."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    domain = here.parent.parent / "domain" / "linking.py"
    try:
        for path in [*(here / name for name in _CODE), domain]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    except OSError:  # installed without its sources (a zip): the release names the code
        digest.update(f"safeguard={importlib.metadata.version('safeguard')}".encode())
    for package in ("splink", "duckdb"):
        digest.update(f"{package}={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def run_key(
    *,
    model_version: str,
    predict_threshold: float,
    match_threshold: float,
    guards: Iterable[str],
    hold_ambiguous: bool,
) -> str:
    """What a batch run's stored results depend on besides the mentions, events and decisions
    (those are compared one by one)."""
    return json.dumps(
        {
            "model_version": model_version,
            "predict_threshold": predict_threshold,
            "match_threshold": match_threshold,
            "guards": sorted(guards),
            "hold_ambiguous": hold_ambiguous,
            "code": code_fingerprint(),
        },
        sort_keys=True,
    )


def components(
    ids: IntArray, prediction: Prediction, *, threshold: float, must_link: Iterable[tuple[int, int]]
) -> IntArray:
    """The connected component of each of ``ids`` (sorted, unique) as ``cluster_prediction``
    forms them: links at or above ``threshold`` and must-link pairs, both ends among ``ids``."""
    n = len(ids)
    if not n:
        return np.zeros(0, np.int64)

    def index(values: IntArray) -> tuple[IntArray, Any]:
        pos = np.minimum(np.searchsorted(ids, values), n - 1)
        return pos.astype(np.int64), ids[pos] == values

    strong = prediction.probability >= threshold
    ml = np.array(list(must_link), dtype=np.int64).reshape(-1, 2)
    left = np.concatenate([prediction.left[strong], ml[:, 0]])
    right = np.concatenate([prediction.right[strong], ml[:, 1]])
    pl, okl = index(left)
    pr, okr = index(right)
    ok = okl & okr
    graph = coo_array((np.ones(int(ok.sum()), dtype=np.int8), (pl[ok], pr[ok])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    return np.asarray(component, dtype=np.int64)


def _decided_mentions(now: Constraints, before: Constraints) -> IntArray:
    """Mentions named by an analyst's decision made or undone since the previous run."""
    changed = (now.must_link ^ before.must_link) | (now.cannot_link ^ before.cannot_link)
    return np.array(sorted({m for pair in changed for m in pair}), dtype=np.int64)


def unchanged(previous: PreviousRun, constraints: Constraints) -> bool:
    """Nothing changed since ``previous``: its kept results are this run's, whole."""
    return not (
        len(previous.changed)
        or len(previous.removed)
        or len(previous.events_changed)
        or len(_decided_mentions(constraints, previous.constraints))
    )


def recluster(
    nodes: Iterable[int],
    prediction: Prediction,
    previous: PreviousRun,
    *,
    threshold: float,
    constraints: Constraints,
    isolated: Iterable[int] = (),
    guard_pairs: GuardPairs | None = None,
    hold_ambiguous: bool = False,
) -> tuple[Clustering, IntArray, IntArray]:
    """``cluster_prediction`` of every node, clustering again only the components that changed
    (see the module); the others keep ``previous``'s clusters and refused merges.

    Returns the clustering, each node's component (``ids`` order, for the next run), and the
    sorted ids of the mentions clustered again."""
    ids = np.unique(np.fromiter(nodes, dtype=np.int64))
    component = components(ids, prediction, threshold=threshold, must_link=constraints.must_link)
    seeds = np.unique(
        np.concatenate(
            [
                previous.changed,
                previous.removed,
                previous.events_changed,
                _decided_mentions(constraints, previous.constraints),
            ]
        )
    )
    # every mention that shared a component last time with a seed is as good as changed
    stale = np.unique(previous.component[np.isin(previous.nodes, seeds)])
    dirty = np.union1d(seeds, previous.nodes[np.isin(previous.component, stale)])
    touched = np.isin(ids, dirty) | ~np.isin(ids, previous.nodes)
    redo = np.isin(component, np.unique(component[touched]))
    redo_ids = ids[redo]
    sub = cluster_prediction(
        redo_ids.tolist(),
        prediction,
        threshold=threshold,
        constraints=constraints,
        isolated=isolated,
        guard_pairs=guard_pairs,
        hold_ambiguous=hold_ambiguous,
    )
    kept = ids[~redo]
    labels = previous.cluster[np.searchsorted(previous.nodes, kept)]
    cluster_of = dict(zip(kept.tolist(), labels.tolist(), strict=True))
    cluster_of.update(sub.cluster_of)
    kept_set = set(kept.tolist())
    refused = [r for r in previous.refused if r.left in kept_set] + sub.refused
    return Clustering(cluster_of, refused), component, redo_ids


def run_state(
    nodes: Iterable[int],
    prediction: Prediction,
    clustering: Clustering,
    *,
    threshold: float,
    must_link: Iterable[tuple[int, int]],
    component: IntArray | None = None,
) -> tuple[IntArray, IntArray, IntArray]:
    """What ``RelinkingBackend.save_run`` keeps of a clustering: the sorted node ids, each one's
    cluster and each one's component (computed here unless ``recluster`` gave it)."""
    ids = np.unique(np.fromiter(nodes, dtype=np.int64))
    if component is None:
        component = components(ids, prediction, threshold=threshold, must_link=must_link)
    cluster_of = clustering.cluster_of
    cluster = np.fromiter((cluster_of[m] for m in ids.tolist()), dtype=np.int64, count=len(ids))
    return ids, cluster, component
