"""What a linking backend offers the services: the ``LinkingBackend`` protocols and ``Prediction``.

The services (``services.linking``) link through these protocols and never name an engine:

* ``LinkingBackend``: load mentions, train or use a model, score every candidate pair, say which
  mentions cannot be linked, the guards applied inside components (``load_events``,
  ``enabled_guards``, ``guard_pairs``), and write the feature store for deltas and ``link_one``.
  DuckDB (``engine.LinkingSession``, one machine) and Spark (``spark.SparkLinkingSession``, a
  cluster) both implement it, with the same guards: Spark scores the pairs and hands the guards
  and the clustering to the same DuckDB code on the driver;
* ``DeltaLinkingBackend``: also the nightly delta (new mentions against a stored feature store);
  only DuckDB implements it.
* ``RelinkingBackend``: also a re-link that redoes only what changed since the last batch run
  with the same model (``PreviousRun``, ``relink``); DuckDB.

A new backend implements ``LinkingBackend`` (and ``DeltaLinkingBackend`` if it can run deltas)
and is chosen in ``services.linking.runs._session``; ``tests/unit/test_linking_backend.py``
checks that each backend has the protocol's methods.

This module imports no engine (no Splink, DuckDB or Spark), so the services can name the
protocols without loading one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np

from safeguard.domain.linking import Constraints, RefusedMerge, UnlinkableReason

if TYPE_CHECKING:
    import pyarrow as pa

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
# A trained model: Splink's settings JSON plus safeguard's guard settings (``model.GUARDS_KEY``).
ModelJson = dict[str, Any]
# Given the mentions of every component of two or more and their component numbers, the pairs
# inside one component that are two people (``guards.component_guard_pairs``).
GuardPairs = Callable[[IntArray, IntArray], tuple[IntArray, IntArray]]


def _no_ids() -> IntArray:
    return np.zeros(0, np.int64)


@dataclass(frozen=True, slots=True)
class Prediction:
    """Scored candidate pairs (mention ids) at or above the threshold asked for, and the model's
    hard negatives: look-alike pairs (same surname, and same date of birth or forename) that score
    as clearly different people."""

    left: IntArray
    right: IntArray
    probability: FloatArray
    different_left: IntArray = field(default_factory=_no_ids)
    different_right: IntArray = field(default_factory=_no_ids)

    def __len__(self) -> int:
        return len(self.left)

    def edges(self) -> Iterator[tuple[int, int, float]]:
        for a, b, p in zip(
            self.left.tolist(), self.right.tolist(), self.probability.tolist(), strict=True
        ):
            yield int(a), int(b), float(p)

    def different(self) -> frozenset[tuple[int, int]]:
        return frozenset(
            (min(a, b), max(a, b))
            for a, b in zip(
                self.different_left.tolist(), self.different_right.tolist(), strict=True
            )
        )

    @staticmethod
    def concat(parts: list[Prediction]) -> Prediction:
        if not parts:
            return Prediction(_no_ids(), _no_ids(), np.zeros(0, np.float64))
        return Prediction(
            np.concatenate([p.left for p in parts]),
            np.concatenate([p.right for p in parts]),
            np.concatenate([p.probability for p in parts]),
            np.concatenate([p.different_left for p in parts]),
            np.concatenate([p.different_right for p in parts]),
        )


@dataclass(frozen=True, slots=True)
class PreviousRun:
    """What the last batch run with the same model and settings computed (``RelinkingBackend``),
    and what changed since: a re-link scores only pairs with a ``changed`` end and re-clusters
    only the components that hold a changed mention (``relink.recluster``).

    ``changed``: mentions new since, or whose features differ; ``removed``: mentions gone since;
    ``events_changed``: mentions whose events differ. ``prediction`` holds the stored scored
    pairs with neither end changed or removed (the same pairs and scores a full prediction
    gives them). ``nodes``, ``cluster``, ``component``: each mention the run clustered, its
    cluster and its connected component then; ``refused``: that run's refused merges, in order;
    ``constraints``: the analysts' decisions it obeyed."""

    changed: IntArray
    removed: IntArray
    events_changed: IntArray
    prediction: Prediction
    nodes: IntArray
    cluster: IntArray
    component: IntArray
    refused: list[RefusedMerge]
    constraints: Constraints


@runtime_checkable
class LinkingBackend(Protocol):
    """One linking session: a context manager that cleans up its working files on exit."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None:
        """Release the engine and delete the session's working files."""
        ...

    def load(self, raw: pa.Table, *, today: date) -> int:
        """Normalise the mentions in ``raw`` (``features.RAW_SCHEMA``); returns how many."""
        ...

    def train(self, *, generic: bool = False, max_pairs: float | None = None) -> ModelJson:
        """EM-train a new model on the loaded mentions (no labels); returns it."""
        ...

    def use_model(self, model_json: ModelJson) -> None:
        """Score with a saved model instead of training."""
        ...

    def predict(self, *, threshold: float) -> Prediction:
        """Every candidate pair among the linkable mentions at or above ``threshold``."""
        ...

    def unlinkable(self, *, new: bool = False) -> dict[int, UnlinkableReason]:
        """Mentions that cannot be linked, with the reason (``new``: of a delta's new ones)."""
        ...

    def mention_ids(self, *, new: bool = False) -> list[int]:
        """Every loaded mention (``new``: a delta's new ones)."""
        ...

    def save_store(self, store: Path, *, include_new: bool = False) -> None:
        """Write the feature store that deltas and ``link_one`` read."""
        ...

    def load_events(self, mention_events: pa.Table) -> int:
        """Which mentions are in which events (``mention_id``, ``event_id``), for the guard that
        two people in one event are two people."""
        ...

    def enabled_guards(self, off: frozenset[str] = frozenset()) -> frozenset[str]:
        """The guards applied: all but those turned off (and any the model found unreliable)."""
        ...

    def guard_pairs(self, off: frozenset[str] = frozenset()) -> GuardPairs:
        """The clustering's ``guard_pairs`` with the guards in ``off`` left out."""
        ...


@runtime_checkable
class DeltaLinkingBackend(LinkingBackend, Protocol):
    """A backend that also links a nightly delta."""

    def attach_known(self, store: Path) -> int:
        """Use a stored feature store (``save_store``) as everyone already known."""
        ...

    def load_new(self, raw: pa.Table, *, today: date) -> int:
        """Normalise a delta's new mentions; ``attach_known`` or ``load`` holds the rest."""
        ...

    def predict_delta(self, *, threshold: float) -> Prediction:
        """New mentions scored against everyone known and against each other."""
        ...


@runtime_checkable
class RelinkingBackend(DeltaLinkingBackend, Protocol):
    """A backend that keeps what a batch run computed, so the next re-link with the same model
    scores and clusters only what changed (the results are those of a full run)."""

    def previous_run(self, path: Path, key: str) -> PreviousRun | None:
        """The run stored at ``path`` and what changed since, if it was made under ``key`` (the
        model, thresholds, guards and code); None if there is none or it cannot be used. Loads
        its weak pairs (for the look-alike guard) in place of any scored before."""
        ...

    def predict_changed(self, changed: IntArray, *, threshold: float) -> Prediction:
        """Every candidate pair with at least one end in ``changed``, scored, at or above
        ``threshold`` (its weak pairs are added to those of ``previous_run``)."""
        ...

    def save_run(
        self,
        path: Path,
        key: str,
        prediction: Prediction,
        nodes: IntArray,
        cluster: IntArray,
        component: IntArray,
        refused: list[RefusedMerge],
        constraints: Constraints,
    ) -> None:
        """Keep this run's features, events, scored and weak pairs, clusters and components,
        refused merges and constraints at ``path`` (replaced whole) for the next re-link."""
        ...
