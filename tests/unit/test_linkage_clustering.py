"""The component-wise clustering gives exactly the domain's constrained clustering."""

from __future__ import annotations

import random

import numpy as np
import pytest

from safeguard.adapters.linkage.backend import Prediction
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.domain.linking import Constraints, cluster_mentions

THRESHOLD = 0.9


def _random_case(seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    n = rng.randint(5, 120)
    nodes = rng.sample(range(1, 400), n)
    outsiders = [900 + i for i in range(3)]  # ids in edges but not among the nodes
    pool = nodes + outsiders
    edges = {}
    for _ in range(rng.randint(0, 3 * n)):
        a, b = rng.sample(pool, 2)
        edges[(a, b)] = rng.choice([0.5, 0.9, 0.93, 0.97, 0.99, rng.random()])

    def pairs(k: int) -> frozenset[tuple[int, int]]:
        return frozenset(Constraints.pair(*rng.sample(pool, 2)) for _ in range(k))

    known = (
        {m: rng.randint(1, 6) for m in rng.sample(nodes, rng.randint(0, n // 3))}
        if rng.random() < 0.4
        else None
    )
    return {
        "nodes": nodes,
        "edges": [(a, b, p) for (a, b), p in edges.items()],
        "different": pairs(rng.randint(0, n // 4)),
        "constraints": Constraints(
            must_link=pairs(rng.randint(0, 3)) if rng.random() < 0.5 else frozenset(),
            cannot_link=pairs(rng.randint(0, 4)),
            different=pairs(rng.randint(0, 2)),
        ),
        "isolated": rng.sample(nodes, rng.randint(0, n // 8)),
        "known": known,
    }


@pytest.mark.parametrize("seed", range(300))
def test_component_wise_clustering_equals_the_domain_clustering(seed: int) -> None:
    case = _random_case(seed)
    edges: list[tuple[int, int, float]] = case["edges"]  # type: ignore[assignment]
    different: frozenset[tuple[int, int]] = case["different"]  # type: ignore[assignment]
    constraints: Constraints = case["constraints"]  # type: ignore[assignment]
    prediction = Prediction(
        np.array([e[0] for e in edges], dtype=np.int64),
        np.array([e[1] for e in edges], dtype=np.int64),
        np.array([e[2] for e in edges], dtype=np.float64),
        np.array([d[0] for d in different], dtype=np.int64),
        np.array([d[1] for d in different], dtype=np.int64),
    )
    kwargs = {
        "threshold": THRESHOLD,
        "isolated": case["isolated"],
        "known_person": case["known"],
    }
    expected = cluster_mentions(
        case["nodes"],  # type: ignore[arg-type]
        edges,
        constraints=Constraints(
            constraints.must_link, constraints.cannot_link, constraints.different | different
        ),
        **kwargs,  # type: ignore[arg-type]
    )
    got = cluster_prediction(
        case["nodes"],  # type: ignore[arg-type]
        prediction,
        constraints=constraints,
        **kwargs,  # type: ignore[arg-type]
    )
    assert got.cluster_of == expected.cluster_of
    assert got.refused == expected.refused


def test_a_graph_without_constraints_is_its_connected_components() -> None:
    prediction = Prediction(
        np.array([1, 2, 5], dtype=np.int64),
        np.array([2, 3, 6], dtype=np.int64),
        np.array([0.99, 0.95, 0.5], dtype=np.float64),
    )
    got = cluster_prediction([1, 2, 3, 4, 5, 6], prediction, threshold=THRESHOLD)
    assert got.cluster_of == {1: 1, 2: 1, 3: 1, 4: 4, 5: 5, 6: 6}
    assert got.refused == []
