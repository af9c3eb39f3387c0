"""Habits the house style claims, checked: generated docs current, a pure core, the error tree
documented."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

from cogapp import Cog

import safeguard
from safeguard import errors

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("sqlalchemy", "duckdb", "splink", "fastapi", "sklearn", "pyarrow", "psycopg")


def test_the_generated_cli_reference_is_current() -> None:
    status = Cog().main(["cog", "--check", str(ROOT / "docs" / "cli.md")])
    assert status == 0, "docs/cli.md is stale: run `make docs`"


def test_importing_the_domain_and_the_rules_loads_no_infrastructure() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import safeguard.domain, safeguard.rules\n"
        "for pkg in (safeguard.domain, safeguard.rules):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {INFRASTRUCTURE!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "", f"the pure core imported {out.stdout.strip()}"


def _all_modules() -> None:
    for m in pkgutil.walk_packages(safeguard.__path__, "safeguard."):
        if ".migrations." in m.name or m.name.endswith(".__main__"):
            continue
        if m.name.endswith("linkage.spark"):
            continue  # needs the optional pyspark
        importlib.import_module(m.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_error_class_is_in_the_tree_drawn_in_errors_py() -> None:
    _all_modules()
    doc = errors.__doc__ or ""
    named = {line.split("+", 1)[1].split()[0] for line in doc.splitlines() if "+ " in line}
    ours = {
        c.__name__
        for c in _subclasses(errors.SafeguardError)
        if c.__module__.startswith("safeguard")
    }
    assert ours <= named, f"missing from the errors.py docstring: {sorted(ours - named)}"


#: Issue 13: "no module over about 400 lines without a reason in its opening comment".
LONG_MODULE = 400
SAYS_WHY = re.compile(r"\b(?:About|Over|Longer than) \d[\d,]* lines\b")


def test_every_module_over_400_lines_says_why_in_its_opening_comment() -> None:
    unexplained = []
    for path in sorted((ROOT / "src" / "safeguard").rglob("*.py")):
        if "migrations" in path.parts:
            continue  # a migration is a record of one change, as long as the change
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines <= LONG_MODULE:
            continue
        tree = ast.parse(text)
        doc = ast.get_docstring(tree) or ""
        if not SAYS_WHY.search(doc):
            unexplained.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not unexplained, (
        "split these modules by domain noun, or say in the opening comment why not "
        "('About N lines on purpose: ...'): " + ", ".join(unexplained)
    )


# The layers above storage (issue 13, item 3): their SQL lives in repositories under
# safeguard.adapters.db, so every module of these packages is checked, new ones included.
ABOVE_STORAGE = ("services", "cli", "web")


def _sql_of_its_own(path: Path) -> list[str]:
    """Calls of ``.execute(`` or ``exec_driver_sql(`` in the module at ``path``, and its imports
    of sqlalchemy other than the ``sqlalchemy.engine`` types."""
    name = path.name
    offences = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("execute", "exec_driver_sql"):
                offences.append(f"{name}:{node.lineno} calls .{node.func.attr}(")
        elif isinstance(node, ast.Import):
            offences += [
                f"{name}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if node.module != "sqlalchemy.engine":  # Connection and Engine, as types
                offences.append(f"{name}:{node.lineno} imports from {node.module}")
    return offences


def test_services_cli_and_web_run_no_sql_of_their_own() -> None:
    modules = [
        path
        for package in ABOVE_STORAGE
        for path in sorted((ROOT / "src" / "safeguard" / package).rglob("*.py"))
    ]
    assert len(modules) > 50  # the packages were found
    offences = [o for path in modules for o in _sql_of_its_own(path)]
    assert not offences, "move the SQL into a repository in safeguard.adapters.db: " + "; ".join(
        offences
    )


def test_every_storage_module_imports_on_its_own() -> None:
    """A module of ``adapters.db`` imported first (a script, a bench, a worker) must not hit an
    import cycle through ``tables``, which imports every table module at its end."""
    import subprocess
    import sys

    names = sorted(p.stem for p in (ROOT / "src" / "safeguard" / "adapters" / "db").glob("*.py"))
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('safeguard')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module('safeguard.adapters.db.' + name)\n"
        "    except ImportError as e:\n"
        "        print(name, e)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert not found.strip(), found
