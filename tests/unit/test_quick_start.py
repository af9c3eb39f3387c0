"""The README's two commands stay enough on a bare machine: a check of the Makefile, the system
script, `.ci/run` and the README, so the quick start cannot silently regress."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _prerequisites(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(target)}:([^\n=]*)$", text, flags=re.MULTILINE)
    assert match, f"the Makefile has no '{target}' target"
    return match.group(1).split()


def _system_packages() -> list[str]:
    script = (ROOT / "scripts" / "system.sh").read_text(encoding="utf-8")
    match = re.search(r"^ORDER=\(([^)]*)\)", script, flags=re.MULTILINE)
    assert match
    return match.group(1).split()


def test_demo_and_test_install_system_packages_first() -> None:
    demo, test = _prerequisites("demo"), _prerequisites("test")
    assert demo[0] == "system" and "setup" in demo
    assert test[:2] == ["system", "postgres"] and "check" in test
    assert "scripts/system.sh packages" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_system_script_covers_every_required_tool_and_is_valid_bash() -> None:
    packages = _system_packages()
    for needed in ("chromium", "poppler-utils", "openjdk-17-jre-headless", "libharfbuzz-subset0"):
        assert needed in packages
    subprocess.run(["bash", "-n", str(ROOT / "scripts" / "system.sh")], check=True)


def test_ci_does_nothing_the_readme_test_command_does_not() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "exec make test"]


def test_readme_states_the_system_requirements_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    section = readme.split("### System requirements", 1)[1].split("\n## ", 1)[0]
    for package in _system_packages():
        assert f"`{package}`" in section, package
    assert "PostgreSQL" in section and "Python 3.11" in section


def test_required_tools_fail_the_tests_rather_than_skip_them() -> None:
    tools = re.compile(r"chromium|pdftoppm|poppler|java|spark|pyspark", re.IGNORECASE)
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "importorskip" not in text or path.name == Path(__file__).name, path
        if path.name == Path(__file__).name:
            continue
        for call in re.finditer(r"(pytest\.skip\(|skipif\()(.{0,300})", text, flags=re.DOTALL):
            assert not tools.search(call.group(2).split("\n\n")[0]), f"{path}: {call.group(0)}"
