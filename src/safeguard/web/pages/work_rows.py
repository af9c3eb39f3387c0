"""A triaged worklist's lines, each rendered once and kept by its value.

A line (``_work_row.html``) is a pure function of the person's row as this viewer may see it
(name, restriction and every item with its due time, state and owner), whether the page shows
the band column, whether the viewer may act and who the viewer is. Its HTML is kept under
exactly those values, so a line is rendered again only when one of them changes: a write (an
item taken, acknowledged, completed, a new finding) gives the row new values and so a new
line. What each request still does for itself: its access checks, names and audit (in
``services.triage``) and the page around the lines. The overdue list's first page holds about
200 items, most of a page's rendering time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup

from safeguard.services.triage import PersonRow

#: Lines kept per process (about 10 KB each at most; ten lists of ten pages of 25 people).
KEPT = 2500


class WorkRows:
    """Rendered lines by (row, banded, can act, viewer, template), least recently used out."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._lines: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()

    def renderer(
        self, macro: Callable[..., object], *, banded: bool, can_act: bool, me: str
    ) -> Callable[[PersonRow], Markup]:
        """``row -> its line``, rendered by ``macro`` only when not already kept."""

        def line(row: PersonRow) -> Markup:
            key = (row, banded, can_act, me, id(macro))
            with self._lock:
                found = self._lines.get(key)
                if found is not None:
                    self._lines.move_to_end(key)
                    return found
            html = macro(row, banded, can_act, me)
            if not isinstance(html, Markup):  # a macro of an autoescaping template gives Markup
                raise TypeError("the worklist line's macro must be autoescaped")
            with self._lock:
                self._lines[key] = html
                while len(self._lines) > self._kept:
                    self._lines.popitem(last=False)
            return html

        return line


ROWS = WorkRows()


def banded(rows: Sequence[PersonRow]) -> bool:
    """Whether any person on the page has a model band (the page then shows the column)."""
    return any(r.work is not None and r.work.band for r in rows)
