"""A fitted risk model as bytes, in skops format: never pickle. Loading checks the file before
anything uses it: the format version, the types it would build (only scikit-learn, NumPy and
SciPy's B-spline are trusted), the target and the feature list the code computes today. Any
mismatch is a :class:`ModelRefused` naming what is wrong; the caller's active model stays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio

from safeguard.adapters.ml import Fitted
from safeguard.errors import ValidationFailed

#: The layout of the stored object; a file of another version is refused.
FORMAT_VERSION = 1
_TRUSTED_PREFIXES = ("sklearn.", "numpy.")
_TRUSTED_EXACT = frozenset(
    {
        "scipy.interpolate._bsplines.BSpline",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
    }
)


class ModelRefused(ValidationFailed):
    """A stored model cannot be used: wrong format version, untrusted content, or features
    that do not match the code."""


@dataclass(frozen=True)
class StoredModel:
    target: str
    fitted: Fitted
    sha256: str


def dump(target: str, fitted: Fitted) -> bytes:
    state = {"format": FORMAT_VERSION, "target": target, **fitted.to_state()}
    return bytes(sio.dumps(state))


def load(
    data: bytes, *, target: str, features: Sequence[str], origin: str = "model"
) -> StoredModel:
    """The model in ``data``, checked against the ``target`` and ``features`` the code uses."""
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a truncated or foreign file: skops raises many kinds
        raise ModelRefused(f"{origin}: not a skops model file ({type(exc).__name__})") from None
    bad = [t for t in untrusted if t not in _TRUSTED_EXACT and not t.startswith(_TRUSTED_PREFIXES)]
    if bad:
        raise ModelRefused(f"{origin}: refuses to load untrusted types: {', '.join(sorted(bad))}")
    try:
        state: Any = sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ModelRefused(f"{origin}: cannot be read ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or "format" not in state:
        raise ModelRefused(f"{origin}: not a safeguard risk model")
    if state["format"] != FORMAT_VERSION:
        raise ModelRefused(
            f"{origin}: model format version {state['format']!r} is unknown "
            f"(this code reads version {FORMAT_VERSION})"
        )
    if state.get("target") != target:
        raise ModelRefused(f"{origin}: a model for {state.get('target')!r}, not {target!r}")
    stored = tuple(state.get("features") or ())
    if stored != tuple(features):
        missing = [f for f in features if f not in stored]
        extra = [f for f in stored if f not in features]
        raise ModelRefused(
            f"{origin}: its feature list does not match the code's "
            f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'}"
            f"{'; same names, another order' if not missing and not extra else ''})"
        )
    fitted = Fitted.from_state(state)
    return StoredModel(target, fitted, hashlib.sha256(data).hexdigest())


def write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelRefused(f"{path}: cannot be read ({exc.strerror})") from None
