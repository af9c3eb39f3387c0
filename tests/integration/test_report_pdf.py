"""The board report PDF, checked as a person would: pages rendered to images, text read back."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.reports import render
from safeguard.domain.board import FIGURES
from safeguard.services.ingest import ingest_paths
from safeguard.services.reports import build_report
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.integration.test_reports import END, START, board_force

pytestmark = [
    # WeasyPrint warns when the system lacks libharfbuzz-subset0 (it then subsets fonts slowly).
    pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if shutil.which("pdftoppm") is None:  # a required tool: fail, never skip (`make system`)
        pytest.fail("needs pdftoppm: run `make system` (apt-get install poppler-utils)")
    folder = tmp_path_factory.mktemp("pdf")
    engine: Engine = make_engine(f"sqlite:///{folder / 'sg.db'}")
    upgrade(engine)
    data = folder / "data"
    data.mkdir()
    ingest_paths(engine, [board_force(data)], actor=OPERATOR_RUN)
    report = build_report(engine, START, END)
    path = folder / "board.pdf"
    path.write_bytes(render.pdf(report, generated_at=datetime(2025, 4, 2, 9, tzinfo=UTC)))
    engine.dispose()
    yield path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout  # noqa: S603


def _pages(pdf: Path) -> int:
    info = _run("pdfinfo", str(pdf))
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.mark.slow
def test_every_page_renders_to_an_a4_image(pdf_file: Path, tmp_path: Path) -> None:
    pages = _pages(pdf_file)
    assert 4 <= pages <= 20
    _run("pdftoppm", "-r", "30", "-png", str(pdf_file), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    assert "(A4)" in _run("pdfinfo", str(pdf_file))
    for image in images:  # A4 portrait at 30 dpi: about 248 x 351 pixels
        header = image.read_bytes()[16:24]
        width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
        assert abs(width - 248) <= 1 and abs(height - 351) <= 1


@pytest.mark.slow
def test_every_page_carries_the_marking_and_its_number(pdf_file: Path) -> None:
    pages = _pages(pdf_file)
    for n in range(1, pages + 1):
        text = _run("pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf_file), "-")
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {n} lacks the marking top and bottom"
        assert f"Page {n} of {pages}" in text


@pytest.mark.slow
def test_the_pdf_reads_as_the_board_report(pdf_file: Path) -> None:
    text = _run("pdftotext", str(pdf_file), "-")
    first = _run("pdftotext", "-f", "1", "-l", "1", str(pdf_file), "-")
    assert "Protecting vulnerable people" in first and "Summary" in first
    assert "01 January 2025 to 31 March 2025" in first
    assert "Appendix: definitions" in text
    flat = " ".join(text.split())
    for f in FIGURES:  # every figure is in the appendix, defined
        assert f.title in flat, f.title
    for name in ("Dana", "Vic1", "Kit", "Hal0", "Taylor"):
        assert name not in text
