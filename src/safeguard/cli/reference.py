"""The command-line reference (``docs/cli.md``), generated from the Typer app by cog.

``make docs`` regenerates it; ``tests/unit/test_habits.py`` fails when it is stale.
"""

from __future__ import annotations

from typing import Any

import typer

from safeguard.cli import app


def _rows(cmd: Any, ctx: Any) -> list[str]:
    lines = []
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        help_text = getattr(param, "help", None) or ""
        if param.param_type_name == "argument":
            name = f"`{str(param.name).upper()}`"
        else:
            name = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        lines.append(f"| {name} | {' '.join(help_text.split()).replace('|', '/')} |")
    return lines


def _command(cmd: Any, path: list[str], out: list[str]) -> None:
    # Typer carries its own click: the objects are only read, duck-typed.
    ctx = cmd.context_class(cmd, info_name=path[-1])
    title = " ".join(path)
    out += [f"{'#' * min(len(path) + 1, 4)} `{title}`", ""]
    text = " ".join((cmd.help or "").split("\b")[0].split())
    if text:
        out += [text, ""]
    usage = " ".join(cmd.collect_usage_pieces(ctx))
    out += ["```", f"{title} {usage}".rstrip(), "```", ""]
    rows = _rows(cmd, ctx)
    if rows:
        out += ["| argument or option | meaning |", "|---|---|", *rows, ""]
    commands = getattr(cmd, "commands", None)
    if commands:
        for name in sorted(commands):
            sub = commands[name]
            if not sub.hidden:
                _command(sub, [*path, name], out)


def reference() -> str:
    """Every command, its usage, arguments and options, as Markdown."""
    out: list[str] = []
    _command(typer.main.get_command(app), ["safeguard"], out)
    return "\n".join(out).rstrip() + "\n"
