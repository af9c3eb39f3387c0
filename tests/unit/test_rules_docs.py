"""docs/rules.md is generated from the definitions; this fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from safeguard.instruments import packaged_instruments
from safeguard.rules import RULES
from safeguard.rules.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_matches_the_rule_and_instrument_definitions() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `python -m safeguard.rules.docs > docs/rules.md`"
    )


def test_every_rule_and_instrument_is_documented_with_its_source() -> None:
    text = render()
    for rule in RULES:
        assert f"### `{rule.id}`" in text
    for instrument in packaged_instruments():
        assert f"### `{instrument.id}` version {instrument.version}" in text
        assert instrument.source in text
    assert "### `procedure_checks` (compliance)" in text
