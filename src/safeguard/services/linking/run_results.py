"""What a linking run leaves besides the links: each mention's strongest link inside its
cluster, and the uncertain pairs and refused merges it queues for an analyst, by priority."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from safeguard.adapters.db import linkage as store
from safeguard.adapters.db import review_queue as queue
from safeguard.adapters.linkage.backend import Prediction
from safeguard.domain.linking import Clustering, Constraints, RefusedMerge, review_priority
from safeguard.services.linking.config import LinkConfig


def cluster_arrays(prediction: Prediction, clusters: Clustering) -> tuple[Any, Any, Any, Any]:
    """Sorted mention ids, their clusters, and the cluster of each end of every scored pair
    (-1 for a mention not clustered), as numpy arrays: a million mentions' three million
    pairs are then a few vector operations, not a Python loop."""
    cluster_of = clusters.cluster_of
    ids = np.fromiter(cluster_of.keys(), dtype=np.int64, count=len(cluster_of))
    cl = np.fromiter(cluster_of.values(), dtype=np.int64, count=len(cluster_of))
    order = np.argsort(ids)
    ids, cl = ids[order], cl[order]

    def of(values: Any) -> Any:
        if not len(ids):
            return np.full(len(values), -1, np.int64)
        pos = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
        return np.where(ids[pos] == values, cl[pos], -1)

    return ids, cl, of(prediction.left), of(prediction.right)


def strongest_links(prediction: Prediction, clusters: Clustering) -> dict[int, float | None]:
    """Each mention's strongest link inside its own cluster (None for a mention on its own)."""
    ids, _, cl_l, cl_r = cluster_arrays(prediction, clusters)
    inside = (cl_l == cl_r) & (cl_l >= 0)
    best = np.full(len(ids), -1.0)
    for ends in (prediction.left[inside], prediction.right[inside]):
        np.maximum.at(best, np.searchsorted(ids, ends), prediction.probability[inside])
    return {
        int(m): (None if p < 0 else float(p))
        for m, p in zip(ids.tolist(), best.tolist(), strict=True)
    }


def review_candidates(
    prediction: Prediction, clusters: Clustering, config: LinkConfig
) -> list[RefusedMerge]:
    """Uncertain pairs left in different clusters, and merges the clustering refused."""
    cluster_of = clusters.cluster_of
    out: dict[tuple[int, int], RefusedMerge] = {}
    _, _, cl_l, cl_r = cluster_arrays(prediction, clusters)
    p = prediction.probability
    uncertain = (p >= config.review_from) & (p < config.match_threshold) & (cl_l != cl_r)
    for a, b, q in zip(
        prediction.left[uncertain].tolist(),
        prediction.right[uncertain].tolist(),
        p[uncertain].tolist(),
        strict=True,
    ):
        key = Constraints.pair(a, b)
        out[key] = RefusedMerge(key[0], key[1], q, "uncertain_match")
    for r in clusters.refused:
        if r.reason == "unlinkable_mention":
            continue
        if cluster_of.get(r.left) != cluster_of.get(r.right):
            key = Constraints.pair(r.left, r.right)
            out[key] = RefusedMerge(key[0], key[1], r.probability, r.reason)
    return list(out.values())


def write_reviews(
    conn: Connection,
    candidates: list[RefusedMerge],
    person_of: Mapping[int, int],
    *,
    run_id: int,
    at: datetime,
    limit: int,
    replace: bool,
) -> int:
    """Queue this run's uncertain pairs by priority; a batch run replaces the open queue.

    Only the difference is written: new pairs are added, pairs whose probability, priority or
    reason changed (or that were superseded) are queued again, open items this batch run no
    longer ranks are superseded, and an open item it ranks the same stays untouched. Returns
    how many items this run queues (decided pairs are not queued again)."""
    members: dict[int, list[int]] = defaultdict(list)
    for m, p in person_of.items():
        members[p].append(m)
    touched = {person_of[m] for c in candidates for m in (c.left, c.right) if m in person_of}
    roles = store.roles_by_mention(conn, (m for p in touched for m in members[p]))
    # each touched person's roles over their whole history, in one pass over the roles found
    person_roles: dict[int, set[str]] = {}
    for m, found in roles.items():
        person_roles.setdefault(person_of[m], set()).update(found)

    def history_roles(mention: int) -> set[str]:
        person = person_of.get(mention)
        if person is None:
            return roles.get(mention, set())
        return person_roles.get(person, set())

    ranked = []
    for c in candidates:
        prio = review_priority(
            c.probability,
            history_roles(c.left),
            history_roles(c.right),
            history_left=len(members.get(person_of.get(c.left, -1), [])) or 1,
            history_right=len(members.get(person_of.get(c.right, -1), [])) or 1,
        )
        reason = c.reason if prio.reason == "uncertain_match" else prio.reason
        ranked.append((prio.score, c, reason))
    ranked.sort(key=lambda t: (-t[0], t[1].left, t[1].right))
    ranked = ranked[:limit]
    # Only what differs from the queue is written: an item open with the same probability,
    # priority and reason stays as it is (its run and time: the run that queued it so).
    queued = queue.queued_pairs(conn, ((c.left, c.right) for _, c, _ in ranked))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    kept = 0
    for score, c, reason in ranked:
        key = (c.left, c.right)
        row = queued.get(key)
        if (
            row is not None
            and row.status == "open"
            and (
                (row.match_probability, row.priority, row.reason) == (c.probability, score, reason)
            )
        ):
            kept += 1
            continue
        values = {
            "match_probability": c.probability,
            "priority": score,
            "reason": reason,
            "status": "open",
            "run_id": run_id,
            "created_at": at,
        }
        if row is None:
            inserts.append({"mention_id_l": c.left, "mention_id_r": c.right, **values})
        elif row.status in ("superseded", "open"):
            updates.append({"mention_id_l": c.left, "mention_id_r": c.right, **values})
        # else an analyst already decided this pair; the constraint is in force
    if replace:  # a batch run replaces the open queue: what it no longer queues is superseded
        wanted = {(c.left, c.right) for _, c, _ in ranked}
        queue.supersede_items(
            conn, (row.id for key, row in queue.open_pairs(conn).items() if key not in wanted)
        )
    queue.add_items(conn, inserts)
    queue.requeue_items(conn, updates)
    return len(inserts) + len(updates) + kept
