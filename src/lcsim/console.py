"""What the commands (``lcsim run -m``, ``lcsim sensitivity``) print.

Progress goes to lcsim's log, shown on standard error as Hydra formats it;
a refusal or failure ends with one ``lcsim: error: ...`` line, and any
details (such as what changed in a sweep's config) indented below it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

LOG_FORMAT = "[%(asctime)s][lcsim][%(levelname)s] - %(message)s"

#: The override that resumes the command running now, once its results folder
#: is known (``hydra.run.dir=...`` or ``hydra.sweep.dir=...``), for the line
#: printed when it is interrupted.
_resume: list[str] = []


def resume_with(override: str) -> None:
    """Note the override that resumes the running command in its own folder."""
    _resume[:] = [override]


def interrupted_line() -> str:
    """The one line printed when Ctrl-C ends the command."""
    if not _resume:
        return "lcsim: interrupted"
    return (f"lcsim: interrupted; finished runs are kept: run the same command with "
            f"{_resume[0]} to resume")


@contextmanager
def command_log() -> Iterator[logging.Handler]:
    """Show lcsim's INFO log on standard error for one command, then undo it.

    Mesa's per-step log is kept quiet. Yields the handler, whose formatter a
    command can reuse for a log file of its own.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger("lcsim")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def error(line: str, details: list[str] | None = None, status: int = 2) -> int:
    """Print one error line (and indented details) and return the exit status."""
    print(f"lcsim: error: {line}", file=sys.stderr)
    for detail in details or []:
        print(f"  {detail}", file=sys.stderr)
    return status
