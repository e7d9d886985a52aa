"""The parameter table of the model description, rendered from the schema.

:func:`parameter_table_markdown` turns :func:`lcsim.config.params.describe`
of :class:`~lcsim.config.schema.LcsimConfig` into a Markdown table, so the
table in ``docs/ODD.md`` cannot drift from the code. Refresh it with::

    .venv/bin/python -m lcsim.config.table          # rewrite docs/ODD.md
    .venv/bin/python -m lcsim.config.table --check  # exit 1 if it is stale

The table sits between the markers :data:`START` and :data:`END`; the rest
of the file is left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lcsim.config.params import describe, range_text
from lcsim.config.schema import LcsimConfig
from lcsim.errors import LcsimError
from lcsim.files import write_text
from lcsim.mechanisms.interventions import Intervention

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"

#: docs/ODD.md of the source tree this module lives in.
ODD_PATH = Path(__file__).resolve().parents[3] / "docs" / "ODD.md"

HEADER = (
    "| name | meaning | unit | default | range | source |",
    "|---|---|---|---|---|---|",
)


def _number(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    return f"{x:.6g}"


def _default(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, list | tuple | dict):
        return f"`{value!r}`"
    return _number(value)


def _range(row: dict[str, Any]) -> str:
    text = range_text(row, between="{low} to {high}", at_least="≥ {low}",
                      at_most="≤ {high}", choice="`{}`", number=_number)
    return text or ""


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _line(row: dict[str, Any]) -> str:
    cells = (
        f"`{row['name']}`",
        _cell(row.get("doc", "")),
        _cell(row.get("unit") or "–"),
        _default(row.get("default")),
        _range(row),
        _cell(row.get("source", "")),
    )
    return "| " + " | ".join(cells) + " |"


def parameter_table_markdown() -> str:
    """Render every config field as one Markdown table, in schema order.

    The fields of one entry of ``scenario.interventions`` follow that key,
    named ``scenario.interventions[i].FIELD``. A unit of "–" marks a
    dimensionless number (a share, probability or count).
    """
    lines = list(HEADER)
    for row in describe(LcsimConfig):
        lines.append(_line(row))
        if row["name"] == "scenario.interventions":
            for field in describe(Intervention, prefix="scenario.interventions[i]."):
                lines.append(_line(field))
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str:
    """Put ``block`` between the markers in ``text``, replacing what was there."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise LcsimError(
            f"the parameter table markers are missing: the file needs {START} "
            f"followed by {END}"
        )
    head = text[: start + len(START)]
    return f"{head}\n{block}{text[end:]}"


def current_block(text: str) -> str:
    """The text between the markers (without them), or "" if they are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return ""
    return text[start + len(START): end].lstrip("\n")


def write_table(path: Path = ODD_PATH) -> bool:
    """Rewrite the table in ``path`` atomically; return whether it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    updated = replace_block(text, parameter_table_markdown())
    if updated == text:
        return False
    write_text(path, updated)
    return True


if __name__ == "__main__":
    from lcsim.cli import parameter_table_command

    sys.exit(parameter_table_command(sys.argv[1:]))
