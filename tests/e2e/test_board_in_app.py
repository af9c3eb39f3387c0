"""The board report from the app: choose the period, see it as a page, download a tagged PDF;
rules by name; the download audited."""

from __future__ import annotations

import re
import zlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.domain.access import Role
from safeguard.rules.rules import RULES
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams too) inflated, to read its tags."""
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


def test_a_board_viewer_reads_the_report_for_a_chosen_period(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.BOARD_VIEWER)
    page = client.get("/board", params=PERIOD)
    assert page.status_code == 200, page.text
    assert "What got worse" in page.text and "What improved" in page.text or "Steady" in page.text
    assert "/board/report.pdf?start=2026-01-01&amp;end=2026-03-31" in page.text
    assert not any(f">{r.id}<" in page.text for r in RULES)
    assert "<style" not in page.text  # the page keeps the strict CSP
    css = client.get("/board/report.css")
    assert css.status_code == 200 and css.text.startswith(".sg-board {")


def test_a_bad_period_is_explained_next_to_the_fields(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.BOARD_VIEWER)
    r = client.get("/board", params={"start": "2026-13-01", "end": "2026-01-01"})
    assert r.status_code == 422
    assert 'id="start-error"' in r.text and "2026-13-01" in r.text
    backwards = client.get("/board", params={"start": "2026-03-01", "end": "2026-01-01"})
    assert backwards.status_code == 422 and 'id="end-error"' in backwards.text


def test_the_pdf_download_is_tagged_for_accessibility_and_audited(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.BOARD_VIEWER)
    r = client.get("/board/report.pdf", params=PERIOD)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = _inflated(r.content)
    assert b"/StructTreeRoot" in text and b"/Marked true" in text  # tagged (PDF/UA)
    assert b"/Alt" in text  # the charts' alternative text
    with engine.connect() as conn:
        actions = set(conn.execute(sa.select(audit_log.c.action)).scalars())
    assert "export.board_report" in actions
