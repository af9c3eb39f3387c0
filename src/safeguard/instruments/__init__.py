"""Instrument definitions shipped as package data, plus any a force adds in its own directory.

One YAML file per instrument version (``<id>_<version>.yaml``). A force adds a local tool or a new
version by dropping a file into the directory named by ``SAFEGUARD_INSTRUMENTS_DIR``: no code.
A local file with the same id and version as a packaged one replaces it (and says so in the log).

Every file is validated against the published JSON Schema (``schema/instrument.v1.schema.json``,
shipped in this package and in ``docs/instrument.v1.schema.json``) before it is parsed; an
error names the file, the line and the field. A directory with any invalid file is refused
whole: :func:`load_catalogue` raises and the catalogue in force is left as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from safeguard.domain.assessments import Catalogue, Instrument, ScoreResult, parse_instrument, score
from safeguard.errors import ValidationFailed

logger = logging.getLogger(__name__)


SCHEMA_VERSION = 1
SCHEMA_FILE = f"instrument.v{SCHEMA_VERSION}.schema.json"


@lru_cache(maxsize=1)
def instrument_schema() -> dict[str, Any]:
    """The published JSON Schema instrument files are validated against."""
    text = resources.files(__name__).joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _line_of(node: yaml.Node, path: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    for step in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == step:
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step < len(node.value):
                child = node.value[step]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _field(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def validate_instrument_text(text: str, origin: str) -> Any:
    """Parse an instrument file and check it against the JSON Schema.

    Raises:
        ValidationFailed: naming ``origin``, the line and the field of the first error.
    """
    try:
        node = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed(f"{origin}{line}: not valid YAML ({exc})") from None
    if node is None or data is None:
        raise ValidationFailed(f"{origin} line 1: an instrument file must hold a mapping")
    validator = jsonschema.Draft202012Validator(instrument_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        path = list(first.absolute_path)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValidationFailed(
            f"{origin} line {_line_of(node, path)}: field {_field(path)}: {first.message}{more}"
        )
    return data


def _parse_text(text: str, origin: str) -> Instrument:
    return parse_instrument(validate_instrument_text(text, origin), origin)


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
        local: dict[tuple[str, str], Instrument] = {}
        for path in sorted(directory.glob("*.y*ml")):
            # Any error raises here, before anything is replaced: the directory is refused whole.
            instrument = _parse_text(path.read_text(encoding="utf-8"), str(path))
            if instrument.key in local:
                raise ValidationFailed(
                    f"{path}: instrument {instrument.id}/{instrument.version} is defined twice"
                )
            local[instrument.key] = instrument
        for key in local:
            if key in by_key:
                logger.info("local instrument %s/%s replaces the packaged one", *key)
        by_key.update(local)
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
