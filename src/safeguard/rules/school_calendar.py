"""School closures (holidays and INSET days) per local authority, from a force's file.

Operation Encompass tells the school "before the start of the next school day" (DOMAIN.md C3),
so a notification made during the school holidays is not due until term starts again. A force
gives its local authorities' term dates in one file, named in its rules settings as
``calendar.school_closures`` (a path, relative to the settings file):

* **CSV** with the header ``local_authority,first_day,last_day,kind,description``: one closure
  per row, days inclusive (ISO dates), ``kind`` one of ``holiday``, ``inset``, ``closure``;
  ``local_authority`` ``*`` applies to every authority.
* **iCalendar** (``.ics``): each ``VEVENT`` is a closure; ``DTSTART``/``DTEND`` are dates
  (``DTEND`` exclusive, as RFC 5545 says); ``LOCATION`` is the local authority (``*`` when
  absent); ``CATEGORIES`` the kind (``holiday`` when absent).

The whole file is checked before any of it is used: one error refuses the file, naming the
file, the line and the field, and the settings in force stay as they were.

Examples:
    >>> header = "local_authority,first_day,last_day,kind,description\\n"
    >>> parse_closures(header + "*,2026-07-22,2026-09-02,holiday,Summer\\n", "terms.csv")
    (('*', datetime.date(2026, 7, 22), datetime.date(2026, 9, 2)),)
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from safeguard.errors import ValidationFailed

Closure = tuple[str, date, date]
"""(local authority or ``*``, first day, last day), days inclusive."""

KINDS = ("holiday", "inset", "closure")
CSV_HEADER = ("local_authority", "first_day", "last_day", "kind", "description")


def _day(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def _check(authority: str, first: date, last: date, kind: str, where: str) -> Closure:
    if not authority.strip():
        raise ValidationFailed(f"{where} field local_authority: empty (use * for all)")
    if kind not in KINDS:
        raise ValidationFailed(f"{where} field kind: {kind!r} is not one of {', '.join(KINDS)}")
    if last < first:
        raise ValidationFailed(f"{where} field last_day: {last} is before first_day {first}")
    if (last - first).days > 120:
        raise ValidationFailed(f"{where} field last_day: a closure over 120 days is not a term")
    return (authority.strip(), first, last)


def _parse_csv(text: str, origin: str) -> list[Closure]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
        raise ValidationFailed(
            f"{origin} line 1: the header must be {','.join(CSV_HEADER)}, got {header!r}"
        )
    out = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"{origin} line {line}"
        if len(row) != len(CSV_HEADER):
            raise ValidationFailed(f"{where}: expected {len(CSV_HEADER)} fields, got {len(row)}")
        authority, first, last, kind, _ = row
        out.append(
            _check(
                authority,
                _day(first, f"{where} field first_day"),
                _day(last, f"{where} field last_day"),
                kind.strip(),
                where,
            )
        )
    return out


def _unfold(text: str) -> list[tuple[int, str]]:
    """Content lines with their first physical line number (RFC 5545 folding undone)."""
    lines: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            first, body = lines[-1]
            lines[-1] = (first, body + raw[1:])
        elif raw.strip():
            lines.append((n, raw))
    return lines


def _ics_date(value: str, where: str) -> date:
    digits = value.strip()[:8]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationFailed(f"{where}: expected a date YYYYMMDD, got {value!r}") from None


def _parse_ics(text: str, origin: str) -> list[Closure]:
    lines = _unfold(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise ValidationFailed(f"{origin} line 1: an iCalendar file starts with BEGIN:VCALENDAR")
    out = []
    event: dict[str, tuple[int, str]] | None = None
    start_line = 0
    for n, line in lines:
        name, _, value = line.partition(":")
        prop = name.split(";", 1)[0].strip().upper()
        if prop == "BEGIN" and value.strip().upper() == "VEVENT":
            event, start_line = {}, n
        elif prop == "END" and value.strip().upper() == "VEVENT":
            if event is None:
                raise ValidationFailed(f"{origin} line {n}: END:VEVENT without BEGIN:VEVENT")
            where = f"{origin} line {start_line}"
            if "DTSTART" not in event:
                raise ValidationFailed(f"{where} field DTSTART: missing")
            s_line, s_value = event["DTSTART"]
            first = _ics_date(s_value, f"{origin} line {s_line} field DTSTART")
            if "DTEND" in event:
                e_line, e_value = event["DTEND"]
                last = _ics_date(e_value, f"{origin} line {e_line} field DTEND") - timedelta(1)
                last = max(last, first)
            else:
                last = first
            authority = event.get("LOCATION", (0, "*"))[1] or "*"
            kind = event.get("CATEGORIES", (0, "holiday"))[1].strip().lower() or "holiday"
            out.append(_check(authority, first, last, kind, where))
            event = None
        elif event is not None:
            event[prop] = (n, value)
    if event is not None:
        raise ValidationFailed(f"{origin} line {start_line}: VEVENT not ended (END:VEVENT)")
    return out


def parse_closures(text: str, origin: str) -> tuple[Closure, ...]:
    """All closures in a CSV or iCalendar file's text (the kind is chosen by ``origin``'s
    suffix), sorted; ValidationFailed naming file, line and field on the first error."""
    suffix = Path(origin).suffix.lower()
    if suffix == ".csv":
        found = _parse_csv(text, origin)
    elif suffix in (".ics", ".ical", ".ifb"):
        found = _parse_ics(text, origin)
    else:
        raise ValidationFailed(f"{origin}: a school calendar is a .csv or .ics file")
    return tuple(sorted(found, key=lambda c: (c[1], c[2], c[0])))


def load_closures(path: Path) -> tuple[Closure, ...]:
    """Read and check a school calendar file (see :func:`parse_closures`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read the school calendar ({exc})") from None
    return parse_closures(text, str(path))
