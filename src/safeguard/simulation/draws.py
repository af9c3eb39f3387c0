"""Pooled random draws: one Generator call fills a million, Python code takes them one by one."""

from __future__ import annotations

import numpy as np

_POOL = 1 << 20


class Uniforms:
    """A pooled stream of U(0,1) draws: far cheaper than one Generator call per decision."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._pool = rng.random(_POOL).tolist()
        self._i = 0

    def __call__(self) -> float:
        self._i += 1
        if self._i >= _POOL:
            self._pool = self._rng.random(_POOL).tolist()
            self._i = 0
        return self._pool[self._i]  # type: ignore[no-any-return]

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return min(int(self() * n), n - 1)
