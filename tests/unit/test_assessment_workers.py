"""What a full assessment's worker process imports: the rules and the history reader, not the
risk model's libraries (about 3 s of CPU each time a worker starts, issue 13's benchmarks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_LIBRARIES = ("sklearn", "skops", "scipy", "pandas")
HEAVY = (*MODEL_LIBRARIES, "splink", "duckdb", "pyspark")


def loaded(code: str, libraries: tuple[str, ...]) -> list[str]:
    """Which of ``libraries`` a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport sys\n"
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({libraries!r}))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return [name for name in out.stdout.strip().split(",") if name]


def test_the_assessment_service_and_its_worker_load_no_model_libraries() -> None:
    # What a spawned worker does before its first batch: import the service (to find
    # ``_worker_init``) and unpickle the ``Assessor`` it is handed.
    code = (
        "import pickle\n"
        "from safeguard.services import assessment\n"
        "pickle.loads(pickle.dumps(assessment.Assessor.from_settings()))"
    )
    assert loaded(code, MODEL_LIBRARIES) == []


def test_the_command_line_loads_no_model_or_linking_libraries() -> None:
    # A worker spawned by `safeguard assess` imports the console script, so the whole CLI: its
    # commands load the risk model (scikit-learn, skops, SciPy) and linking (Splink, DuckDB)
    # only when they run. It also keeps every command's start-up short.
    assert loaded("import safeguard.cli", HEAVY) == []


def test_the_probe_sees_a_library_that_is_imported() -> None:
    assert loaded("import duckdb", HEAVY) == ["duckdb"]
