"""docs/report.md's definitions are the code's definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeguard.domain.board import BREAKDOWNS, FIGURES
from safeguard.domain.board_docs import definitions_markdown, splice

ROOT = Path(__file__).resolve().parents[2]


def test_docs_report_md_definitions_are_up_to_date() -> None:
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    assert splice(text) == text, (
        "docs/report.md is stale: python -c 'from pathlib import Path; "
        'from safeguard.domain.board_docs import splice; p = Path("docs/report.md"); '
        "p.write_text(splice(p.read_text()))'"
    )


def test_every_figure_and_breakdown_is_documented() -> None:
    md = definitions_markdown()
    for item in (*FIGURES, *BREAKDOWNS):
        assert f"`{item.id}`" in md


def test_a_document_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="no generated definitions"):
        splice("# nothing here")
