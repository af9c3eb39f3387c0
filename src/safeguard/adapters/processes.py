"""Processes of this machine: who is running a run, whether it still lives, and worker
processes that die with their parent (Linux; elsewhere the checks degrade to what is known)."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
from datetime import UTC, datetime, timedelta

PR_SET_PDEATHSIG = 1
# A process that started this long after a run began cannot be that run's process (pid reuse).
START_SLACK = timedelta(seconds=5)


def host_name() -> str:
    return socket.gethostname()[:255]


def started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (from /proc), or None when unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
        with open("/proc/stat", encoding="ascii") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[19])  # field 22 of stat(5); two fields precede the ")"
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def alive(pid: int, since: datetime | None = None) -> bool:
    """Whether ``pid`` is a live process here that could have been running since ``since``."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    if since is not None:
        start = started_at(pid)
        if start is not None and start > since + START_SLACK:
            return False  # the pid was reused by a later process
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False  # a zombie: dead, not yet reaped
    except OSError:
        pass
    return True


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``);
    exit at once if the parent is already gone. No-op where prctl does not exist."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(1)
