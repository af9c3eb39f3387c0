"""The shipped scenarios (the guidance's boundary cases) all pass, each citing its source; the
runner reports failures per case and refuses a malformed file naming file, case and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from safeguard.cli import app
from safeguard.errors import ValidationFailed
from safeguard.instruments import default_catalogue
from safeguard.rules.scenario import run_file, run_scenarios, shipped_scenarios


def test_at_least_100_shipped_boundary_cases_pass_and_each_cites_domain_md() -> None:
    results = [r for p in shipped_scenarios() for r in run_file(p, default_catalogue())]
    assert len(results) >= 100
    failed = [(r.name, r.problems) for r in results if not r.passed]
    assert failed == []
    assert all("DOMAIN.md" in r.source for r in results)


def test_safeguard_rules_test_runs_the_shipped_scenarios_and_exits_0() -> None:
    result = CliRunner().invoke(app, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    assert f"({len(shipped_scenarios())} files)" in result.output


def test_every_scenario_file_in_the_package_is_shipped_and_each_area_has_its_file() -> None:
    folder = Path(__file__).resolve().parents[2] / "src/safeguard/rules/scenarios"
    on_disk = sorted(p.name for p in folder.glob("*.yaml"))
    assert sorted(p.name for p in shipped_scenarios()) == on_disk
    areas = {"domestic_abuse", "children", "victims", "calendars", "records"}
    assert areas <= {Path(n).stem for n in on_disk}
    for path in shipped_scenarios():
        names = [r.name for r in run_file(path, default_catalogue())]
        assert len(names) == len(set(names)), f"{path.name}: two cases share a name"


def test_a_failing_case_is_reported_with_why_and_exit_1(tmp_path: Path) -> None:
    case = {
        "source": "DOMAIN.md A4",
        "cases": [
            {
                "name": "wrong on purpose",
                "events": [{"id": 1, "at": "2025-01-10T12:00:00Z"}],
                "assessments": [
                    {"id": 1, "instrument": "dash-ric/2009", "at": "2025-01-10T15:00:00Z",
                     "event": 1, "yes_answers": 14}
                ],
                "expect": [{"rule": "MARAC-VISIBLE-HIGH-RISK", "due": "2025-01-14T17:00:00Z"}],
                "absent": ["DA-NEW-HIGH-RISK"],
            }
        ],
    }  # fmt: skip
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    (result,) = run_file(path, default_catalogue())
    assert not result.passed
    assert any("expected 2025-01-14T17:00:00+00:00" in p for p in result.problems)
    assert any(p.startswith("DA-NEW-HIGH-RISK raised") for p in result.problems)
    cli = CliRunner().invoke(app, ["rules", "test", str(path)])
    assert cli.exit_code == 1 and "1 failed" in cli.output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cases": [{"name": "x"}]}, r"case 1 \(x\): field source is required"),
        ({"cases": [{"name": "x", "source": "s", "expect": [{"rule": "NOPE"}]}]},
         r"case 1 expect\[1\] field rule: unknown rule 'NOPE'"),
        ({"cases": [{"name": "x", "source": "s", "events": [{"id": 1, "at": "2025-01-10"}]}]},
         r"case 1 events\[1\] field at: give a timezone offset"),
        ({"cases": "none"}, "a mapping with a list of cases"),
        ({"cases": [{"name": "x", "source": "s", "corrections": {"people": []}}]},
         r"case 1 corrections field people: not a record kind"),
        ({"cases": [{"name": "x", "source": "s", "corrections": {"person": "1990"}}]},
         r"case 1 corrections field person: a mapping"),
        ({"cases": [{"name": "x", "source": "s", "referrals": [
            {"id": 1, "type": "mash", "at": "2025-01-10T12:00:00Z", "statuses": [{"at": "x"}]}]}]},
         r"case 1 referrals\[1\] statuses\[1\]: field status is required"),
    ],
)  # fmt: skip
def test_a_malformed_scenario_is_refused_naming_file_case_and_field(
    data: object, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        run_scenarios(data, "f.yaml", default_catalogue())
