"""Instrument definitions: questions, answer types, scoring, bands and floors, parsed from data.

An instrument is data (one YAML file per instrument version under ``safeguard/instruments``);
this module turns the parsed mapping into typed, validated definitions and refuses a malformed
file with a message naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from safeguard.errors import ValidationFailed

AnswerType = Literal["yes_no", "observation"]
ScoringMethod = Literal["yes_count", "points", "judgement"]

ANSWER_TYPES: tuple[str, ...] = ("yes_no", "observation")
SCORING_METHODS: tuple[str, ...] = ("yes_count", "points", "judgement")
YES_NO_VALUES = ("yes", "no", "not_known")


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its id (answer key), text, answer type, section and tags used by rules."""

    id: str
    text: str
    answer_type: AnswerType
    section: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Band:
    """Scores from ``minimum`` upwards (until the next band) get ``grade``."""

    grade: str
    minimum: int


@dataclass(frozen=True, slots=True)
class PointsRule:
    """Points for an observed indicator of a section, if observed within ``within_months``."""

    points: int
    within_months: int | None = None


@dataclass(frozen=True, slots=True)
class Floor:
    """A minimum grade that applies when its condition holds (e.g. a child under 13)."""

    minimum: str
    reason: str
    subject_age_under: int | None = None
    answer_yes: str | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """One version of one instrument, exactly as its data file defines it."""

    id: str
    version: str
    title: str
    source: str
    domain_sections: tuple[str, ...]
    method: ScoringMethod
    grades: tuple[str, ...]
    questions: tuple[Question, ...]
    bands: tuple[Band, ...] = ()
    section_points: tuple[tuple[str, tuple[PointsRule, ...]], ...] = ()
    floors: tuple[Floor, ...] = ()
    judgement_may_raise: bool = True
    rationale_required: Literal["when_raised", "always"] = "when_raised"
    marac_threshold_grade: str | None = None
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def question(self, question_id: str) -> Question | None:
        for q in self.questions:
            if q.id == question_id:
                return q
        return None

    def questions_tagged(self, tag: str) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions if tag in q.tags)

    def rank(self, grade: str) -> int:
        """Position of ``grade`` from lowest (0); ValueError when not one of this instrument's."""
        return self.grades.index(grade)

    def band_for(self, score: int) -> str:
        grade = self.bands[0].grade
        for band in self.bands:
            if score >= band.minimum:
                grade = band.grade
        return grade


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise ValidationFailed(f"{where}: field {key!r} is required")
    return data[key]


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _need(data, key, where)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise ValidationFailed(f"{where}: field {key!r} must be a non-empty string")
    return str(value)


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed(f"{where}: must be an integer, got {value!r}")
    return value


def parse_instrument(data: Mapping[str, Any], origin: str) -> Instrument:
    """Build an :class:`Instrument` from a parsed data file; ``origin`` names the file in errors."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(f"{origin}: an instrument file must hold a mapping")
    ident, version = _str(data, "id", origin), _str(data, "version", origin)
    where = f"{origin} ({ident}/{version})"
    method = _str(data, "method", where)
    if method not in SCORING_METHODS:
        raise ValidationFailed(f"{where}: field 'method' must be one of {SCORING_METHODS}")
    grades_raw = _need(data, "grades", where)
    if not isinstance(grades_raw, list) or not grades_raw:
        raise ValidationFailed(f"{where}: field 'grades' must be a non-empty list, lowest first")
    grades = tuple(str(g) for g in grades_raw)

    questions: list[Question] = []
    seen: set[str] = set()
    raw_questions = _need(data, "questions", where)
    if not isinstance(raw_questions, list) or not raw_questions:
        raise ValidationFailed(f"{where}: field 'questions' must be a non-empty list")
    for n, raw in enumerate(raw_questions, start=1):
        qwhere = f"{where} question {n}"
        if not isinstance(raw, Mapping):
            raise ValidationFailed(f"{qwhere}: must be a mapping")
        qid = _str(raw, "id", qwhere)
        if qid in seen:
            raise ValidationFailed(f"{qwhere}: duplicate question id {qid!r}")
        seen.add(qid)
        answer_type = str(raw.get("answer_type", "yes_no"))
        if answer_type not in ANSWER_TYPES:
            raise ValidationFailed(f"{qwhere}: answer_type must be one of {ANSWER_TYPES}")
        tags = raw.get("tags") or []
        questions.append(
            Question(
                id=qid,
                text=_str(raw, "text", qwhere),
                answer_type=answer_type,  # type: ignore[arg-type]
                section=str(raw["section"]) if raw.get("section") else None,
                tags=tuple(str(t) for t in tags),
            )
        )

    bands: list[Band] = []
    for raw in data.get("bands") or []:
        band = Band(_str(raw, "grade", f"{where} bands"), _int(raw.get("min"), f"{where} bands"))
        if band.grade not in grades:
            raise ValidationFailed(f"{where}: band grade {band.grade!r} is not in 'grades'")
        bands.append(band)
    if method != "judgement":
        if not bands:
            raise ValidationFailed(f"{where}: a scored instrument needs 'bands'")
        if [b.minimum for b in bands] != sorted(b.minimum for b in bands):
            raise ValidationFailed(f"{where}: bands must be listed lowest first")

    section_points: list[tuple[str, tuple[PointsRule, ...]]] = []
    for section, rules in (data.get("section_points") or {}).items():
        parsed = tuple(
            PointsRule(
                _int(r.get("points"), f"{where} section_points.{section}"),
                None
                if r.get("within_months") is None
                else _int(r["within_months"], f"{where} section_points.{section}"),
            )
            for r in rules
        )
        section_points.append((str(section), parsed))
    if method == "points":
        sections = {q.section for q in questions}
        missing = sections - {s for s, _ in section_points}
        if missing:
            names = sorted(str(m) for m in missing)
            raise ValidationFailed(f"{where}: no section_points for sections {names}")

    floors: list[Floor] = []
    for raw in data.get("floors") or []:
        fwhere = f"{where} floors"
        minimum = _str(raw, "minimum", fwhere)
        if minimum not in grades:
            raise ValidationFailed(f"{fwhere}: minimum {minimum!r} is not in 'grades'")
        answer_yes = raw.get("answer_yes")
        if answer_yes is not None and answer_yes not in seen:
            raise ValidationFailed(f"{fwhere}: answer_yes names unknown question {answer_yes!r}")
        age = raw.get("subject_age_under")
        floors.append(
            Floor(
                minimum=minimum,
                reason=_str(raw, "reason", fwhere),
                subject_age_under=None if age is None else _int(age, fwhere),
                answer_yes=answer_yes,
            )
        )

    judgement = data.get("judgement") or {}
    required = str(judgement.get("rationale_required", "when_raised"))
    if required not in ("when_raised", "always"):
        raise ValidationFailed(f"{where}: judgement.rationale_required must be when_raised|always")
    marac = data.get("marac_threshold_grade")
    if marac is not None and marac not in grades:
        raise ValidationFailed(f"{where}: marac_threshold_grade {marac!r} is not in 'grades'")
    sections_raw = data.get("domain_sections") or []
    return Instrument(
        id=ident,
        version=version,
        title=_str(data, "title", where),
        source=_str(data, "source", where),
        domain_sections=tuple(str(s) for s in sections_raw),
        method=method,  # type: ignore[arg-type]
        grades=grades,
        questions=tuple(questions),
        bands=tuple(bands),
        section_points=tuple(section_points),
        floors=tuple(floors),
        judgement_may_raise=bool(judgement.get("may_raise", True)),
        rationale_required=required,  # type: ignore[arg-type]
        marac_threshold_grade=marac,
        description=str(data.get("description", "")).strip(),
    )


class Catalogue:
    """Every known instrument version, looked up by (id, version)."""

    def __init__(self, instruments: Mapping[tuple[str, str], Instrument]) -> None:
        self._by_key = dict(instruments)

    def get(self, instrument_id: str, version: str) -> Instrument:
        """The instrument; ValidationFailed naming the known versions when it is unknown."""
        found = self._by_key.get((instrument_id, version))
        if found is None:
            known = sorted(v for i, v in self._by_key if i == instrument_id)
            hint = f"known versions: {', '.join(known)}" if known else "no such instrument"
            raise ValidationFailed(
                f"unknown instrument {instrument_id!r} version {version!r} ({hint})"
            )
        return found

    def find(self, instrument_id: str, version: str) -> Instrument | None:
        return self._by_key.get((instrument_id, version))

    def __iter__(self) -> Iterator[Instrument]:
        return iter(sorted(self._by_key.values(), key=lambda i: i.key))

    def __len__(self) -> int:
        return len(self._by_key)
