"""Calendars as data: UK nations' bank holidays, school closures per local authority (CSV and
iCalendar, refused whole with file, line and field), force instruments against the schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from safeguard.domain.working_time import WorkingCalendar
from safeguard.errors import ValidationFailed
from safeguard.instruments import instrument_schema, load_catalogue
from safeguard.rules import evaluate, load_rules_config
from safeguard.rules.school_calendar import parse_closures
from tests.unit.rules_facts import DEFAULT, dash, event, fired, involved, person, referral

ROOT = Path(__file__).resolve().parents[2]
HEADER = "local_authority,first_day,last_day,kind,description\n"


@pytest.mark.parametrize(
    ("region", "day", "holiday"),
    [
        ("england", date(2026, 8, 31), True),  # summer bank holiday, England and Wales
        ("scotland", date(2026, 8, 31), False),
        ("scotland", date(2026, 8, 3), True),  # Scotland's is the first Monday in August
        ("scotland", date(2026, 1, 2), True),
        ("northern_ireland", date(2026, 3, 17), True),  # St Patrick's Day
        ("wales", date(2026, 3, 17), False),
    ],
)
def test_each_uk_nation_has_its_own_bank_holidays(region: str, day: date, holiday: bool) -> None:
    assert WorkingCalendar(region=region).is_bank_holiday(day) is holiday


def test_an_unknown_region_names_the_choices() -> None:
    with pytest.raises(ValueError, match="northern_ireland"):
        WorkingCalendar(region="mars")


def test_csv_closures_apply_to_their_authority_and_star_to_all() -> None:
    text = (
        HEADER
        + "*,2026-07-22,2026-09-02,holiday,Summer\nCumberland,2026-09-03,2026-09-03,inset,INSET\n"
    )
    closures = parse_closures(text, "terms.csv")
    cal = WorkingCalendar(school_closures=closures)
    assert not cal.is_school_day(date(2026, 8, 5), "Westmorland and Furness")
    assert not cal.is_school_day(date(2026, 9, 3), "Cumberland")
    assert cal.is_school_day(date(2026, 9, 3), "Westmorland and Furness")


def test_ics_closures_with_exclusive_end_and_folded_lines() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:October half\r\n"
        " term\r\nDTSTART;VALUE=DATE:20261026\r\nDTEND;VALUE=DATE:20261031\r\n"
        "LOCATION:Cumberland\r\nCATEGORIES:holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert parse_closures(text, "terms.ics") == (
        ("Cumberland", date(2026, 10, 26), date(2026, 10, 30)),
    )


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (HEADER + "*,2026-07-22,2026-09-02,holiday,ok\n*,2026-13-01,2026-12-02,holiday,x\n",
         "t.csv", "t.csv line 3 field first_day"),
        (HEADER + "*,2026-07-22,2026-07-01,holiday,x\n", "t.csv", "t.csv line 2 field last_day"),
        (HEADER + "*,2026-07-22,2026-07-23,party,x\n", "t.csv", "t.csv line 2 field kind"),
        ("la,first,last\n", "t.csv", "t.csv line 1"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026XX01\nEND:VEVENT\nEND:VCALENDAR\n",
         "t.ics", "t.ics line 3 field DTSTART"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n", "t.ics", "t.ics line 2"),
        ("nothing", "t.txt", "a .csv or .ics file"),
    ],
)  # fmt: skip
def test_a_bad_school_calendar_is_refused_naming_file_line_and_field(
    text: str, name: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        parse_closures(text, name)


def _encompass_at(config: object, occurred: datetime) -> datetime | None:
    child = person(
        dob=date(2016, 2, 3),
        involvements=(involved(event(1, occurred, area="Carlisle"), "child_present"),),
    )
    (f,) = fired(child, "OP-ENCOMPASS-SCHOOL-TOLD", config)  # type: ignore[arg-type]
    return f.due_at


def test_force_settings_name_a_school_calendar_and_encompass_waits_for_term(
    tmp_path: Path,
) -> None:
    (tmp_path / "terms.csv").write_text(
        HEADER + "Cumberland,2026-07-22,2026-09-02,holiday,Summer\n", encoding="utf-8"
    )
    (tmp_path / "rules.yaml").write_text(
        "calendar:\n  school_closures: terms.csv\n  area_authorities: {Carlisle: Cumberland}\n",
        encoding="utf-8",
    )
    config = load_rules_config(tmp_path / "rules.yaml")
    incident = datetime(2026, 7, 30, 20, 0, tzinfo=UTC)  # a Thursday in the summer holiday
    assert _encompass_at(config, incident) == datetime(2026, 9, 3, 7, 30, tzinfo=UTC)
    default = load_rules_config()
    assert _encompass_at(default, incident) == datetime(2026, 7, 31, 7, 30, tzinfo=UTC)


def test_a_bad_school_calendar_in_the_settings_refuses_the_settings(tmp_path: Path) -> None:
    (tmp_path / "terms.csv").write_text(HEADER + "*,2026-07-22,nope,holiday,x\n", encoding="utf-8")
    (tmp_path / "rules.yaml").write_text("calendar:\n  school_closures: terms.csv\n", "utf-8")
    with pytest.raises(ValidationFailed, match=r"terms.csv line 2 field last_day"):
        load_rules_config(tmp_path / "rules.yaml")


# -- instruments a force can add ------------------------------------------------------------


def test_the_published_schema_in_the_docs_is_the_one_the_package_validates_with() -> None:
    docs = json.loads((ROOT / "docs" / "instrument.v1.schema.json").read_text(encoding="utf-8"))
    assert docs == instrument_schema()


def test_the_worked_dara_like_example_is_used_by_the_same_engine() -> None:
    catalogue = load_catalogue([ROOT / "docs" / "examples" / "instruments"])
    answers = {q.id: "yes" if n < 10 else "no" for n, q in
               enumerate(catalogue.get("dara-example", "1").questions)}  # fmt: skip
    form = dash(1, datetime(2026, 1, 5, 12, tzinfo=UTC), 0, event_id=1)
    form = type(form)(1, "dara-example", "1", answers, form.completed_at, 1,
                      officer_grade="high", rationale="controlling, escalating")  # fmt: skip
    history = person(
        involvements=(involved(event(1, datetime(2026, 1, 5, 9, tzinfo=UTC))),),
        assessments=(form,),
        referrals=(referral(1, "marac", datetime(2026, 1, 5, 16, tzinfo=UTC), event_id=1),),
    )
    result = evaluate(history, DEFAULT, catalogue)
    rules = {f.rule_id for f in result.findings}
    assert "DA-NEW-HIGH-RISK" in rules  # 10 yes: high on the force's own bands
    assert "DA-DASH-COMPLETED" not in rules  # the force's DA instrument counts as the DASH
    assert any(c.rule_id == "MARAC-VISIBLE-HIGH-RISK" and c.on_time for c in result.checks)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("method: sums\n", r"line \d+: field method: 'sums' is not one of"),
        ("colour: red\n", r"field \(top level\): Additional properties"),
        ("grades: []\n", r"field grades: \[\] should be non-empty"),
    ],
)
def test_a_bad_force_instrument_is_refused_whole_naming_file_line_and_field(
    tmp_path: Path, edit: str, message: str
) -> None:
    good = (ROOT / "docs" / "examples" / "instruments" / "dara-example_1.yaml").read_text("utf-8")
    key = edit.split(":", 1)[0]
    lines = [ln for ln in good.splitlines(keepends=True) if not ln.startswith(f"{key}:")]
    (tmp_path / "a_good_1.yaml").write_text(good.replace("dara-example", "good-one"), "utf-8")
    (tmp_path / "dara_1.yaml").write_text("".join(lines) + edit, "utf-8")
    with pytest.raises(ValidationFailed, match=message) as caught:
        load_catalogue([tmp_path])
    assert str(tmp_path / "dara_1.yaml") in str(caught.value)
