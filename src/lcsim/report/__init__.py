"""The report of a results directory: one self-contained HTML page for readers.

``lcsim report DIR`` (and ``lcsim run``, a sweep and ``lcsim sensitivity``, once
at their end) writes ``DIR/report.html`` for a run, a sweep or a sensitivity
analysis: the question or experiment, the config and provenance, the design
and how the runs went, the warnings a reader must see, the figures with their
captions (embedded, nothing fetched), the key tables and the statements of
scenario discovery.

* :mod:`lcsim.report.contents` tells the kinds apart and gathers what a
  directory holds;
* :mod:`lcsim.report.page` renders it as HTML.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from lcsim.files import write_text
from lcsim.report.contents import Report, ReportError, detect_kind, gather
from lcsim.report.page import render

__all__ = ["REPORT", "Report", "ReportError", "detect_kind", "gather", "render",
           "report_command", "write_report", "write_report_logged"]

log = logging.getLogger(__name__)

REPORT = "report.html"


def write_report(folder: str | os.PathLike, *, max_pixels: int | None = None,
                 key_outcomes: list[str] | None = None,
                 ci_share: float | None = None) -> Path:
    """Write ``folder/report.html`` atomically; return its path.

    Args:
        folder: A run, sweep or sensitivity directory.
        max_pixels: Largest width or height of an embedded figure
            (``figures_max_pixels``: by default a run's own, else 4000); larger
            ones are left out, with a warning.
        key_outcomes, ci_share: The precision check (``sweep.key_outcomes``,
            ``sweep.ci_share``; their defaults if None).

    Raises:
        ReportError: ``folder`` holds no results lcsim can report on.
    """
    folder = Path(folder)
    report = gather(folder, key_outcomes=key_outcomes, ci_share=ci_share)
    if max_pixels is None:
        max_pixels = stored_max_pixels(folder)
    path = folder / REPORT
    write_text(path, render(report, max_pixels=max_pixels))
    return path


def stored_max_pixels(folder: Path) -> int:
    """``figures_max_pixels`` of a run's ``config.yaml``, else its default."""
    from omegaconf import OmegaConf

    from lcsim.config.schema import LcsimConfig

    default = LcsimConfig.__dataclass_fields__["figures_max_pixels"].default
    config = Path(folder) / "config.yaml"
    if not config.is_file():
        return default
    return int(OmegaConf.load(config).get("figures_max_pixels", default))


def write_report_logged(folder: str | os.PathLike, **settings) -> Path | None:
    """:func:`write_report` at the end of a command: log where it went, or why not.

    A report that cannot be written is logged as a warning and does not fail
    the command, whose results are on disk already.
    """
    try:
        path = write_report(folder, **settings)
    except ReportError as error:
        log.warning("no report.html: %s", error)
        return None
    except Exception as error:  # noqa: BLE001 - the results stand without their page
        log.warning("no report.html: %s: %s (run lcsim report %s again)",
                    type(error).__name__, error, folder)
        return None
    log.info("report written to %s", path)
    return path


def report_command(args: list[str]) -> int:
    """``lcsim report DIR``: write ``DIR/report.html``; the exit status.

    One line on standard error and status 2 when ``DIR`` is missing, holds no
    results, or holds a run that has not finished.
    """
    import sys

    from lcsim.console import error

    if len(args) != 1 or args[0].startswith("-"):
        return error("lcsim report takes one results directory: lcsim report DIR")
    try:
        path = write_report(args[0])
    except ReportError as problem:
        return error(str(problem))
    print(f"lcsim: report written to {path}", file=sys.stderr)
    return 0
