"""One way to audit: use cases call ``uow.audit`` (or ``uow.consult``), which takes who from the
unit of work's checked actor; nobody pastes an ``AuditEntry`` block of their own any more."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "safeguard"
WRITERS = {"AuditEntry", "append_audit", "append_audit_many", "record_consultation"}
# Where writing an entry directly is the point, and what is still to convert:
ALLOWED = {
    "adapters/db/audit.py",  # the log itself
    "services/unit_of_work.py",  # the one audit() of a use case
    "services/audit_trail.py",  # entries with no unit of work: refusals, sign-ins, exports
    "services/accounts.py",  # sign-in attempts, audited before anybody is known
}


def _writers(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in WRITERS:
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_audit_trail_writes_an_audit_entry_itself() -> None:
    found = {
        f"{path.relative_to(SRC).as_posix()}:{line}"
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).as_posix() not in ALLOWED
        for line in _writers(path)
    }
    assert not found, f"write audit entries through UnitOfWork.audit instead: {sorted(found)}"


def test_the_check_sees_a_pasted_entry() -> None:
    assert _writers(SRC / "services" / "unit_of_work.py")  # it builds the one AuditEntry
