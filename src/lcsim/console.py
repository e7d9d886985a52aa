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
