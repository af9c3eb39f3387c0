"""Scenarios a force can write and run: records in, findings expected (``safeguard rules test``).

A scenario file is YAML::

    source: DOMAIN.md A3, A4          # default source of its cases
    settings: {rules: {...}}          # optional force settings (a case may have its own)
    cases:
      - name: 14 'yes' answers make a MARAC referral due
        source: DOMAIN.md A4 (visible high risk)
        person: {dob: 1990-05-01}
        events:
          - {id: 1, type: domestic_abuse, at: 2025-01-10T12:00:00Z, role: victim}
        assessments:
          - {id: 1, instrument: dash-ric/2009, at: 2025-01-10T15:00:00Z, yes_answers: 14}
        referrals:   [{id: 1, type: marac, at: ..., event: 1, rag: red, decided: ...,
                       statuses: [{status: strategy_discussion_needed, at: ...}]}]
        missing:     [{id: 1, reported: ..., found: ..., exploitation: true, rhi_offered: ...}]
        contacts:    [{id: 1, trigger: arrest, at: ..., contacted: ..., event: 1}]
        as_of: 2025-01-20T00:00:00Z   # optional: evaluate at this moment
        corrections: {assessments: [...], person: {dob: ...}}  # optional: re-sent records
        expect:
          - {rule: MARAC-VISIBLE-HIGH-RISK, due: 2025-01-13T17:00:00Z}
          - {rule: DA-NEW-HIGH-RISK, explanation_contains: "graded high"}
        absent: [DA-DASH-COMPLETED]

``yes_answers: N`` answers the instrument's first N questions yes and the rest no; ``answers``
sets questions one by one. Every case must cite its ``source`` (the guidance, e.g. a DOMAIN.md
section). An expected finding matches on its rule and, when given, ``due``, ``done``,
``status`` (``open``, ``closed_by_rule``) and ``explanation_contains``. ``absent`` lists rules
that must not fire.
With ``corrections``, the case is run twice and stored findings are reconciled as the database
does (:mod:`safeguard.rules.obligations`): a duty a correction would erase stays, with a review.
A file that does not follow this format is refused naming the file, the case and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from safeguard.domain.assessments import Catalogue
from safeguard.domain.history import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    PersonHistory,
    ReferralFact,
)
from safeguard.errors import ValidationFailed
from safeguard.rules.config import RulesConfig, parse_rules_config
from safeguard.rules.engine import evaluate
from safeguard.rules.findings import Finding
from safeguard.rules.obligations import REVIEW_RULE, OnRecord, reconcile
from safeguard.rules.rules import RULES_BY_ID


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case: passed or not, and why not."""

    file: str
    name: str
    source: str
    passed: bool
    problems: tuple[str, ...] = ()
    findings: tuple[str, ...] = field(default=())


def _moment(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(f"{where}: expected an ISO 8601 time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValidationFailed(f"{where}: give a timezone offset (Z or +01:00), got {value!r}")
    return parsed.astimezone(UTC)


def _opt(raw: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = raw.get(key)
    return None if value is None else _moment(value, f"{where} field {key}")


def _need(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise ValidationFailed(f"{where}: field {key} is required")
    return raw[key]


def _items(raw: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    items = raw.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ValidationFailed(f"{where}: field {key} must be a list of mappings")
    return items


def _history(raw: Mapping[str, Any], where: str, catalogue: Catalogue) -> PersonHistory:
    person = raw.get("person") or {}
    dob = person.get("dob")
    if dob is not None and not isinstance(dob, date):
        try:
            dob = date.fromisoformat(str(dob))
        except ValueError:
            raise ValidationFailed(f"{where} field person.dob: expected YYYY-MM-DD") from None
    involvements = []
    for n, e in enumerate(_items(raw, "events", where), start=1):
        w = f"{where} events[{n}]"
        ev = EventFact(
            event_id=int(_need(e, "id", w)),
            event_type=str(e.get("type", "domestic_abuse")),
            occurred_at=_moment(_need(e, "at", w), f"{w} field at"),
            reported_at=_opt(e, "reported", w),
            domestic_abuse_related=bool(e.get("domestic_abuse", False)),
            hate_crime_strands=tuple(e.get("hate", ()) or ()),
            area=e.get("area", "North"),
            team=e.get("team", "PPU-1"),
        )
        involvements.append(InvolvementFact(1000 + ev.event_id, ev, str(e.get("role", "victim"))))
    assessments = []
    for n, a in enumerate(_items(raw, "assessments", where), start=1):
        w = f"{where} assessments[{n}]"
        ident, _, version = str(_need(a, "instrument", w)).partition("/")
        answers: dict[str, object] = {}
        if "yes_answers" in a:
            instrument = catalogue.find(ident, version)
            if instrument is None:
                raise ValidationFailed(f"{w} field instrument: unknown {ident}/{version}")
            answers = {q.id: "no" for q in instrument.questions}
            for q in instrument.questions[: int(a["yes_answers"])]:
                answers[q.id] = "yes"
        answers.update(a.get("answers") or {})
        assessments.append(
            AssessmentFact(
                assessment_id=int(_need(a, "id", w)),
                instrument_id=ident,
                instrument_version=version,
                answers=answers,
                completed_at=_moment(_need(a, "at", w), f"{w} field at"),
                event_id=a.get("event"),
                officer_grade=a.get("officer_grade"),
                rationale=a.get("rationale"),
                reviewed_grade=a.get("reviewed_grade"),
                reviewed_at=_opt(a, "reviewed_at", w),
                assessor_team=a.get("team"),
            )
        )
    referrals = []
    for n, r in enumerate(_items(raw, "referrals", where), start=1):
        w = f"{where} referrals[{n}]"
        decided = _opt(r, "decided", w)
        statuses = [("decision_made", decided)] if decided else []
        for k, st in enumerate(_items(r, "statuses", w), start=1):
            ws = f"{w} statuses[{k}]"
            statuses.append((str(_need(st, "status", ws)), _moment(_need(st, "at", ws), ws)))
        referrals.append(
            ReferralFact(
                referral_id=int(_need(r, "id", w)),
                referral_type=str(_need(r, "type", w)),
                made_at=_moment(_need(r, "at", w), f"{w} field at"),
                event_id=r.get("event"),
                rag=r.get("rag"),
                statuses=tuple(statuses),
            )
        )
    missing = []
    for n, m in enumerate(_items(raw, "missing", where), start=1):
        w = f"{where} missing[{n}]"
        missing.append(
            MissingFact(
                episode_id=int(_need(m, "id", w)),
                event_id=int(m.get("event", 500 + int(m["id"]))),
                reported_missing_at=_moment(_need(m, "reported", w), f"{w} field reported"),
                last_seen_at=_opt(m, "last_seen", w),
                found_at=_opt(m, "found", w),
                exploitation_flag=m.get("exploitation"),
                rhi_offered_at=_opt(m, "rhi_offered", w),
            )
        )
    contacts = []
    for n, c in enumerate(_items(raw, "contacts", where), start=1):
        w = f"{where} contacts[{n}]"
        contacts.append(
            ContactFact(
                contact_id=int(_need(c, "id", w)),
                trigger=str(_need(c, "trigger", w)),
                trigger_at=_moment(_need(c, "at", w), f"{w} field at"),
                event_id=c.get("event"),
                contacted_at=_opt(c, "contacted", w),
            )
        )
    return PersonHistory(
        person_key="P1",
        person_id=1,
        date_of_birth=dob,
        involvements=tuple(involvements),
        assessments=tuple(assessments),
        referrals=tuple(referrals),
        missing=tuple(missing),
        contacts=tuple(contacts),
    )


RECORD_KINDS = ("events", "assessments", "referrals", "missing", "contacts")


def _merge_records(
    base: Mapping[str, Any], changes: Any, where: str = "corrections"
) -> dict[str, Any]:
    """The case's records with ``changes`` replacing records of the same kind and id (and the
    person's fields, e.g. a corrected date of birth)."""
    if not isinstance(changes, Mapping):
        raise ValidationFailed(f"{where}: a mapping of record kinds to corrected records")
    merged = dict(base)
    for kind, items in changes.items():
        if kind == "person":
            if not isinstance(items, Mapping):
                raise ValidationFailed(f"{where} field person: a mapping (e.g. {{dob: ...}})")
            merged["person"] = {**(merged.get("person") or {}), **items}
            continue
        if kind not in RECORD_KINDS:
            raise ValidationFailed(
                f"{where} field {kind}: not a record kind (person, {', '.join(RECORD_KINDS)})"
            )
        corrected = _items(changes, kind, where)
        by_id = {i.get("id"): i for i in _items(merged, kind, where)}
        for n, item in enumerate(corrected, start=1):
            by_id[_need(item, "id", f"{where} {kind}[{n}]")] = item
        merged[kind] = list(by_id.values())
    return merged


def _run_case(
    raw: Mapping[str, Any], where: str, config: RulesConfig, catalogue: Catalogue
) -> tuple[list[Finding], list[str]]:
    """(findings, stored statuses per finding key) after the case's runs."""
    as_of = _opt(raw, "as_of", where)
    history = _history(raw, where, catalogue)
    if as_of is not None:
        history = history.as_of(as_of)
    first = evaluate(history, config, catalogue)
    if not raw.get("corrections"):
        return list(first.findings), [
            "closed_by_rule" if f.satisfied else "open" for f in first.findings
        ]
    corrected = _history(
        _merge_records(raw, raw["corrections"], f"{where} corrections"),
        f"{where} corrections",
        catalogue,
    )
    if as_of is not None:
        corrected = corrected.as_of(as_of)
    second = evaluate(corrected, config, catalogue)
    stored = [
        OnRecord(f.key, f.rule_id, f.kind, "closed_by_rule" if f.satisfied else "open")
        for f in first.findings
    ]
    done = reconcile(
        second,
        stored,
        [c.key for c in first.checks],
        review_version=config.versions[REVIEW_RULE],
    )
    kept = [f for f in first.findings if f.key in done.kept_findings]
    found = [*done.evaluation.findings, *kept]
    return found, ["closed_by_rule" if f.satisfied else "open" for f in found]


def _check(
    expected: Mapping[str, Any], found: Sequence[Finding], statuses: Sequence[str], where: str
) -> str | None:
    rule = str(_need(expected, "rule", where))
    if rule not in RULES_BY_ID:
        raise ValidationFailed(f"{where} field rule: unknown rule {rule!r}")
    candidates = [(f, s) for f, s in zip(found, statuses, strict=True) if f.rule_id == rule]
    if not candidates:
        return f"expected {rule}, not raised"
    wanted_due = _opt(expected, "due", where)
    wanted_done = _opt(expected, "done", where)
    text = expected.get("explanation_contains")
    status = expected.get("status")
    misses = []
    for f, s in candidates:
        why = []
        if wanted_due is not None and f.due_at != wanted_due:
            got = f.due_at.isoformat() if f.due_at else None
            why.append(f"due {got}, expected {wanted_due.isoformat()}")
        if wanted_done is not None and f.done_at != wanted_done:
            why.append(f"done {f.done_at}, expected {wanted_done.isoformat()}")
        if text is not None and str(text) not in f.explanation:
            why.append(f"explanation {f.explanation!r} lacks {text!r}")
        if status is not None and s != status:
            why.append(f"status {s}, expected {status}")
        if not why:
            return None
        misses.append("; ".join(why))
    return f"{rule}: " + " | ".join(misses)


def run_file(path: Path, catalogue: Catalogue, base: RulesConfig | None = None) -> list[CaseResult]:
    """Run every case of a scenario file."""
    origin = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{origin}: cannot read the scenario file ({exc})") from None
    return run_scenarios(data, origin, catalogue, base)


def run_scenarios(
    data: Any, origin: str, catalogue: Catalogue, base: RulesConfig | None = None
) -> list[CaseResult]:
    """Run the cases of a parsed scenario file; ``origin`` names it in errors and results."""
    if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
        raise ValidationFailed(f"{origin}: a scenario file is a mapping with a list of cases")
    settings = data.get("settings")
    folder = Path(origin).parent
    config = (
        parse_rules_config(settings, origin, folder) if settings else base or parse_rules_config()
    )
    results = []
    for n, raw in enumerate(data["cases"], start=1):
        where = f"{origin} case {n}"
        if not isinstance(raw, Mapping):
            raise ValidationFailed(f"{where}: a case is a mapping")
        name = str(_need(raw, "name", where))
        source = str(raw.get("source") or data.get("source") or "")
        if not source.strip():
            raise ValidationFailed(
                f"{where} ({name}): field source is required (cite the guidance)"
            )
        case_config = (
            parse_rules_config(raw["settings"], where, folder) if raw.get("settings") else config
        )
        found, statuses = _run_case(raw, where, case_config, catalogue)
        problems = []
        for m, expected in enumerate(raw.get("expect") or [], start=1):
            problem = _check(expected, found, statuses, f"{where} expect[{m}]")
            if problem:
                problems.append(problem)
        fired = {f.rule_id for f in found}
        for rule in raw.get("absent") or []:
            if rule not in RULES_BY_ID:
                raise ValidationFailed(f"{where} field absent: unknown rule {rule!r}")
            if rule in fired:
                text = next(f.explanation for f in found if f.rule_id == rule)
                problems.append(f"{rule} raised but should not be: {text}")
        results.append(
            CaseResult(
                origin,
                name,
                source,
                not problems,
                tuple(problems),
                tuple(sorted(f"{f.rule_id}" for f in found)),
            )
        )
    return results


def shipped_scenarios() -> list[Path]:
    """The boundary cases from the guidance shipped with the package."""
    folder = resources.files(__package__).joinpath("scenarios")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))
