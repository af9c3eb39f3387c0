"""The point-in-time recovery drill of docs/operations.md runs: WAL archiving, a base backup,
and recovery to a moment between two writes, on a private throw-away PostgreSQL cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
DRILL = Path(__file__).parents[2] / "deploy" / "pitr-drill.sh"
BIN = Path("/usr/lib/postgresql/15/bin")


def test_a_base_backup_with_archived_wal_recovers_to_the_chosen_moment(tmp_path: Path) -> None:
    if not (BIN / "initdb").exists():
        pytest.fail(f"{BIN}/initdb is needed: apt-get install postgresql-15")
    command = ["sh", str(DRILL)]
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        assert runuser, "runuser (util-linux) is needed to run the drill as postgres"
        command = [runuser, "-u", "postgres", "--", *command]
    done = subprocess.run(  # noqa: S603
        command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rows, newest = 200|200" in done.stdout
