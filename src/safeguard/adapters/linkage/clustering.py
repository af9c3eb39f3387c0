"""Clustering a million mentions: connected components in scipy, constraints in the domain.

``domain.linking.cluster_mentions`` merges the strongest links first and refuses any merge that
an analyst split, that joins two known people, that takes in an unlinkable mention or that joins
a hard negative pair. It is pure Python, about 10 seconds per 100,000 links. But a merge can only
be refused inside one connected component of the links above the threshold, and where a
component holds no constraint at all the greedy merge joins all of it. So:

1. connected components of the links above the threshold (plus must-link pairs and each known
   person's mentions) in ``scipy.sparse.csgraph``;
2. a component with no constraint inside it (no cannot-link or hard negative pair with both ends
   in it, no must-link, no known person, no unlinkable mention with a link) is one cluster;
3. the others, usually a small share, go through ``cluster_mentions``, in up to
   ``GUARD_CHUNKS`` chunks of consecutive components: the guards (DuckDB, which releases
   Python's lock) of the next chunk are computed in a background thread while Python clusters
   this one, so a machine's second core is not idle (at 1M the guards and the clustering take
   about the same time).

The result is exactly ``cluster_mentions``'s on the whole graph: components are independent, and
each keeps its own links in the same (strongest first) order; the chunks' refused merges are
put back into that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from safeguard.adapters.linkage.backend import GuardPairs, IntArray, Prediction
from safeguard.domain.linking import Clustering, Constraints, RefusedMerge, cluster_mentions


def _pairs_array(pairs: Iterable[tuple[int, int]]) -> tuple[IntArray, IntArray]:
    array = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    return array[:, 0], array[:, 1]


# Components are clustered in this many chunks where the guards apply (the guards of the next
# chunk run in DuckDB while Python clusters this one); a run with fewer pairs inside
# components than ``GUARD_CHUNK_PAIRS`` per chunk uses fewer chunks.
GUARD_CHUNKS = 4
GUARD_CHUNK_PAIRS = 250_000


def _component_chunks(sizes: IntArray, chunks: int) -> IntArray:
    """A chunk number for each component: consecutive components, each chunk with about the
    same number of mention pairs inside its components (the guards' work)."""
    work = sizes.astype(np.float64) ** 2 / 2
    total = float(work.sum())
    chunks = max(1, min(chunks, int(total // GUARD_CHUNK_PAIRS)))
    if chunks == 1 or not len(sizes):
        return np.zeros(len(sizes), dtype=np.int64)
    edges = np.cumsum(work) - work  # the work before each component
    return np.minimum((edges / total * chunks).astype(np.int64), chunks - 1)


def _guards_of(
    guard_pairs: GuardPairs | None,
    ids: IntArray,
    component: IntArray,
    chosen: np.ndarray[Any, np.dtype[np.bool_]],
) -> tuple[IntArray, IntArray]:
    """The guard pairs inside the chosen components (none without guards or components)."""
    if guard_pairs is None or not chosen.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gl, gr = guard_pairs(ids[chosen], component[chosen].astype(np.int64))
    return gl.astype(np.int64), gr.astype(np.int64)


def _inside(
    index: Callable[[IntArray], tuple[IntArray, np.ndarray[Any, np.dtype[np.bool_]]]],
    component: IntArray,
    flagged: np.ndarray[Any, np.dtype[np.bool_]],
    left: IntArray,
    right: IntArray,
) -> tuple[IntArray, IntArray]:
    """The pairs with both ends in one component; their components are flagged as needing the
    constrained clustering (``flagged`` is changed in place)."""
    pl, okl = index(left)
    pr, okr = index(right)
    inside = okl & okr
    inside[inside] = component[pl[inside]] == component[pr[inside]]
    flagged[pl[inside]] = True
    return left[inside], right[inside]


def _pairs_in(left: IntArray, right: IntArray, keep: set[int]) -> set[tuple[int, int]]:
    """The pairs (lower id first) with both ends in ``keep``."""
    return {
        Constraints.pair(a, b)
        for a, b in zip(left.tolist(), right.tolist(), strict=True)
        if a in keep and b in keep
    }


def _strongest_first(
    a: IntArray, b: IntArray, p: np.ndarray[Any, np.dtype[np.float64]]
) -> list[tuple[int, int, float]]:
    """Links in the order ``cluster_mentions`` takes them (strongest first, then ids), so that
    its own sort finds them sorted."""
    order = np.lexsort((b, a, -p))
    return list(zip(a[order].tolist(), b[order].tolist(), p[order].tolist(), strict=True))


def cluster_prediction(
    nodes: Iterable[int],
    prediction: Prediction,
    *,
    threshold: float,
    constraints: Constraints = Constraints(),
    isolated: Iterable[int] = (),
    known_person: Mapping[int, int] | None = None,
    guard_pairs: GuardPairs | None = None,
    hold_ambiguous: bool = False,
) -> Clustering:
    """``cluster_mentions(nodes, prediction.edges(), ...)`` with the prediction's hard negatives
    added to ``constraints.different``, computed component by component (see the module).

    ``guard_pairs``, if given, is asked for the pairs that are two people inside the
    components of two or more mentions (once per chunk of components, see the module); they
    are added to ``constraints.different`` too.
    With ``hold_ambiguous``, a mention linking about as strongly to a person kept apart from its
    own as to its own is held on its own (see ``_hold_ambiguous``)."""
    ids = np.unique(np.fromiter(nodes, dtype=np.int64))
    n = len(ids)

    def index(values: IntArray) -> tuple[IntArray, np.ndarray[Any, np.dtype[np.bool_]]]:
        """Positions of ``values`` in ``ids``, and which of them are nodes at all."""
        pos = np.searchsorted(ids, values)
        pos = np.minimum(pos, max(n - 1, 0))
        found = (ids[pos] == values) if n else np.zeros(len(values), bool)
        return pos.astype(np.int64), found

    strong = prediction.probability >= threshold
    el, ok_l = index(prediction.left[strong])
    er, ok_r = index(prediction.right[strong])
    ok = ok_l & ok_r
    edge_l, edge_r, edge_p = el[ok], er[ok], prediction.probability[strong][ok]
    edge_a, edge_b = prediction.left[strong][ok], prediction.right[strong][ok]

    # links that join components: scored links, must-links, each known person's mentions
    join_l, join_r = [edge_l], [edge_r]
    flagged = np.zeros(n, dtype=bool)  # nodes whose component needs the constrained clustering
    ml_a, ml_b = _pairs_array(constraints.must_link)
    ml_l, ml_ok_l = index(ml_a)
    ml_r, ml_ok_r = index(ml_b)
    ml_ok = ml_ok_l & ml_ok_r
    join_l.append(ml_l[ml_ok])
    join_r.append(ml_r[ml_ok])
    flagged[ml_l[ml_ok]] = True
    if known_person:
        kp_ids = np.fromiter(known_person.keys(), dtype=np.int64, count=len(known_person))
        kp_people = np.fromiter(known_person.values(), dtype=np.int64, count=len(known_person))
        kp_pos, kp_ok = index(kp_ids)
        kp_pos, kp_people = kp_pos[kp_ok], kp_people[kp_ok]
        flagged[kp_pos] = True
        order = np.argsort(kp_people, kind="stable")
        same = kp_people[order][1:] == kp_people[order][:-1]
        join_l.append(kp_pos[order][1:][same])
        join_r.append(kp_pos[order][:-1][same])
    rows, cols = np.concatenate(join_l), np.concatenate(join_r)
    graph = coo_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=False)

    iso_pos, iso_ok = index(np.fromiter(isolated, dtype=np.int64))
    iso_pos = iso_pos[iso_ok]
    linked = np.zeros(n, dtype=bool)
    linked[edge_l] = True
    linked[edge_r] = True
    flagged[iso_pos[linked[iso_pos]]] = True

    # hard negatives and cannot-links matter only with both ends in one component
    model_l, model_r = _pairs_array(constraints.different)
    model_l = np.concatenate([model_l, prediction.different_left])
    model_r = np.concatenate([model_r, prediction.different_right])
    model_l, model_r = _inside(index, component, flagged, model_l, model_r)
    _inside(index, component, flagged, *_pairs_array(constraints.cannot_link))

    # The guards (DuckDB) of one chunk of components are computed in a background thread
    # while the constrained clustering (Python) of the chunk before runs here: components are
    # independent, so each chunk is clustered on its own and the results joined.
    sizes = np.bincount(component) if n else np.zeros(0, np.int64)
    chunk_of = _component_chunks(sizes, 1 if guard_pairs is None else GUARD_CHUNKS)
    n_chunks = int(chunk_of.max()) + 1 if len(chunk_of) else 1
    node_chunk = chunk_of[component] if n else np.zeros(0, np.int64)
    multi = sizes[component] >= 2 if n else np.zeros(0, bool)
    iso_nodes = ids[iso_pos]
    clustered: dict[int, int] = {}  # the constrained clustering's, chunk after chunk
    refused: list[RefusedMerge] = []
    hard = np.zeros(n, dtype=bool)
    with ThreadPoolExecutor(max_workers=1) as pool:
        guards = [
            pool.submit(_guards_of, guard_pairs, ids, component, multi & (node_chunk == k))
            for k in range(n_chunks)
        ]
        for k, found in enumerate(guards):
            gl, gr = found.result()
            gl, gr = _inside(index, component, flagged, gl, gr)
            in_chunk = node_chunk == k
            hard_k = in_chunk & np.isin(component, np.unique(component[flagged & in_chunk]))
            hard |= hard_k
            if not hard_k.any():
                continue
            hard_ids = ids[hard_k]
            keep = set(hard_ids.tolist())
            pairs_k = _pairs_in(np.concatenate([model_l, gl]), np.concatenate([model_r, gr]), keep)
            edges_k = hard_k[edge_l]
            sub = cluster_mentions(
                hard_ids.tolist(),
                _strongest_first(edge_a[edges_k], edge_b[edges_k], edge_p[edges_k]),
                threshold=threshold,
                constraints=Constraints(
                    must_link=constraints.must_link,
                    cannot_link=constraints.cannot_link,
                    different=frozenset(pairs_k),
                ),
                isolated=[int(i) for i in iso_nodes.tolist() if i in keep],
                known_person=(
                    {m: p for m, p in known_person.items() if m in keep} if known_person else None
                ),
            )
            clustered.update(sub.cluster_of)
            refused.extend(sub.refused)
    # each chunk's refused merges are in its links' order (strongest first, then ids): the
    # order of one clustering of every component
    refused.sort(key=lambda r: (-r.probability, r.left, r.right))

    # easy components: each is one cluster, named by its smallest mention id (ids are sorted)
    easy = ~hard
    first_of = np.full(component.max() + 1 if n else 0, -1, dtype=np.int64)
    easy_pos = np.nonzero(easy)[0]
    # ids are ascending, so the first position seen in each component holds its smallest id
    rev = easy_pos[::-1]
    first_of[component[rev]] = ids[rev]
    cluster_of = dict(zip(ids[easy].tolist(), first_of[component[easy]].tolist(), strict=True))
    if not hard.any():
        return Clustering(cluster_of, refused)
    cluster_of.update(clustered)
    hard_edges = hard[edge_l]
    if hold_ambiguous:
        fixed = {m for pair in constraints.must_link for m in pair} | set(known_person or ())
        held = _hold_ambiguous(
            cluster_of,
            edge_a[hard_edges],
            edge_b[hard_edges],
            edge_p[hard_edges],
            refused,
            fixed,
        )
        refused = refused + held
    return Clustering(cluster_of, refused)


AMBIGUOUS_WEIGHT_MARGIN = 0.0  # match weight (log2 odds) within which two links are a toss-up


def _weight(p: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(np.log2(q / (1 - q)), dtype=np.float64)


def _hold_ambiguous(
    cluster_of: dict[int, int],
    a: IntArray,
    b: IntArray,
    p: np.ndarray[Any, np.dtype[np.float64]],
    refused: list[RefusedMerge],
    fixed: set[int],
) -> list[RefusedMerge]:
    """Mentions that link as strongly to a person the guards keep apart from their own as to
    their own (an undated "John Smith" at the address of a father and a son with that name) are
    held on their own rather than given to whichever link came first; each goes to review with
    its link to the person it left. Changes ``cluster_of`` in place; returns the review items."""
    looks = [r for r in refused if r.reason == "joins_look_alike_people"]
    if not looks or not len(a):
        return []
    ca = np.fromiter((cluster_of[int(x)] for x in a), dtype=np.int64, count=len(a))
    cb = np.fromiter((cluster_of[int(x)] for x in b), dtype=np.int64, count=len(b))
    inside = ca == cb
    best: dict[int, tuple[float, int]] = {}
    for x, y, w in zip(
        a[inside].tolist(), b[inside].tolist(), _weight(p[inside]).tolist(), strict=True
    ):
        if w > best.get(x, (-np.inf, 0))[0]:
            best[x] = (w, y)
        if w > best.get(y, (-np.inf, 0))[0]:
            best[y] = (w, x)
    held: list[RefusedMerge] = []
    done: set[int] = set()
    for r in looks:
        w = float(_weight(np.array([r.probability]))[0])
        ends = [m for m in (r.left, r.right) if m in best and m not in fixed]
        if not ends:
            continue
        # the end less firmly held by its own person is the one in doubt
        m = min(ends, key=lambda e: best[e][0])
        if m not in done:
            own_w, partner = best[m]
            if w >= own_w - AMBIGUOUS_WEIGHT_MARGIN:
                done.add(m)
                held.append(
                    RefusedMerge(
                        min(m, partner),
                        max(m, partner),
                        float(1 / (1 + 2.0 ** (-own_w))),
                        "ambiguous_mention",
                    )
                )
    for m in done:
        cluster_of[m] = m
    return held
