"""Instrument definitions shipped as package data, plus any a force adds in its own directory.

One YAML file per instrument version (``<id>_<version>.yaml``). A force adds a local tool or a new
version by dropping a file into the directory named by ``SAFEGUARD_INSTRUMENTS_DIR``: no code.
A local file with the same id and version as a packaged one replaces it (and says so in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from safeguard.domain.assessments import Catalogue, Instrument, ScoreResult, parse_instrument, score
from safeguard.errors import ValidationFailed

logger = logging.getLogger(__name__)


def _parse_text(text: str, origin: str) -> Instrument:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{origin}: not valid YAML ({exc})") from None
    return parse_instrument(data, origin)


def packaged_instruments() -> list[Instrument]:
    """The instruments shipped in this package."""
    found = []
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            found.append(_parse_text(entry.read_text(encoding="utf-8"), entry.name))
    return found


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> Catalogue:
    """Packaged instruments, overlaid by the YAML files in ``extra_dirs`` (in order)."""
    by_key: dict[tuple[str, str], Instrument] = {i.key: i for i in packaged_instruments()}
    for directory in extra_dirs:
        if not directory.is_dir():
            raise ValidationFailed(f"{directory}: instruments directory does not exist")
        for path in sorted(directory.glob("*.y*ml")):
            instrument = _parse_text(path.read_text(encoding="utf-8"), str(path))
            if instrument.key in by_key:
                logger.info("local instrument %s/%s replaces the packaged one", *instrument.key)
            by_key[instrument.key] = instrument
    return Catalogue(by_key)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The packaged instruments only (cached)."""
    return load_catalogue()


def score_assessment(
    instrument_id: str,
    version: str,
    answers: Mapping[str, object],
    officer_grade: str | None = None,
    rationale: str | None = None,
    *,
    subject_age: int | None = None,
    assessed_on: date | None = None,
    catalogue: Catalogue | None = None,
) -> ScoreResult:
    """Score an assessment submitted through the web form (or anywhere else).

    Args:
        instrument_id: e.g. ``dash-police``, ``dash-ric``, ``s-dash``, ``cse-seraf``.
        version: instrument version, e.g. ``2009``.
        answers: question id to answer.
        officer_grade: the officer's grade (professional judgement), if given.
        rationale: the officer's reasons; required when judgement raises the grade.
        subject_age: age of the subject on the day (age floors, e.g. under 13 never low).
        assessed_on: assessment date (6- and 12-month windows of CSE indicators).
        catalogue: instruments to use; the packaged ones by default.

    Returns:
        The grade, yes-count, reasons and the MARAC route implied (``marac_route``), or an
        explicit ``incomplete`` state naming what is missing.

    Raises:
        ValidationFailed: unknown instrument or version, unknown question, wrong answer type,
            or dates out of order.
    """
    instrument = (catalogue or default_catalogue()).get(instrument_id, version)
    return score(
        instrument,
        answers,
        officer_grade,
        rationale,
        subject_age=subject_age,
        assessed_on=assessed_on,
    )
