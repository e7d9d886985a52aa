"""The report as one self-contained HTML page.

Standard library only: text goes through :func:`html.escape`, every figure is
embedded as a ``data:image/png;base64`` URI, and the style sheet is inline, so
the page opens from disk with nothing fetched from anywhere and no script.
"""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime

import pandas as pd

from lcsim import __version__
from lcsim.report.contents import (
    RUN,
    SENSITIVITY,
    SWEEP,
    Figure,
    Report,
    Section,
    png_size,
)

STYLE = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; max-width: 62rem;
       margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem;
     margin-top: 2rem; }
.kind { color: #555; margin-top: 0; }
.question { font-size: 1.05rem; }
.warnings { background: #fff4e5; border-left: 0.35rem solid #D55E00;
            padding: 0.5rem 1rem; }
.warnings li { margin: 0.3rem 0; }
.ok { background: #eef7f1; border-left: 0.35rem solid #009E73; padding: 0.5rem 1rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 1.5rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #333; }
pre { background: #f7f7f7; padding: 0.6rem; font-size: 0.78rem; overflow-x: auto; }
footer { color: #666; font-size: 0.8rem; margin-top: 2rem; }
"""


#: What a report without warnings says, by kind: what was checked and passed.
NO_WARNINGS = {
    RUN: "No warnings: every replication finished and the key outcomes' intervals are "
         "within the precision asked for (sweep.ci_share).",
    SWEEP: "No warnings: every run finished and the key outcomes' intervals are within "
           "the precision asked for (sweep.ci_share).",
    SENSITIVITY: "No warnings: every run finished, every index has a value, no interval "
                 "is wide (analysis.wide_interval) and replication noise is below "
                 "analysis.noise_warning.",
}


def data_uri(figure: Figure) -> str:
    """The PNG file of a figure as a ``data:`` URI."""
    encoded = base64.b64encode(figure.path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value in values:
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) \
                else str(value)
            numeric = isinstance(value, int | float) or _is_number(text)
            cells.append(f'<td{" class=\"num\"" if numeric else ""}>{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _section(section: Section, number: int, max_pixels: int, warnings: list[str]
             ) -> tuple[str, int]:
    """The HTML of a section, and the number of the last figure so far."""
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    for line in section.lines:
        parts.append(f"<p>{html.escape(line)}</p>")
    for figure in section.figures:
        width, height = png_size(figure.path)
        if max(width, height) > max_pixels:
            warnings.append(f"{figure.path.name} is {width} x {height} pixels, more than "
                            f"figures_max_pixels={max_pixels}: left out of this page.")
            continue
        number += 1
        parts.append(
            f'<figure id="figure-{number}"><img src="{data_uri(figure)}" width="{width}" '
            f'height="{height}" alt="{html.escape(figure.path.name)}">'
            f"<figcaption><strong>Figure {number}.</strong> {html.escape(figure.caption)} "
            f"<small>({html.escape(figure.path.name)})</small></figcaption></figure>")
    for table in section.tables:
        parts.append(f"<p>{html.escape(table.caption)}</p>{_table(table.frame)}")
    if section.preformatted:
        parts.append(f"<details><summary>Show the resolved config</summary>"
                     f"<pre>{html.escape(section.preformatted)}</pre></details>")
    return "\n".join(parts), number


def render(report: Report, *, max_pixels: int = 4000) -> str:
    """The HTML page of a report; figures above ``max_pixels`` a side are left out."""
    warnings = list(report.warnings)
    body, number = [], 0
    for section in report.sections:
        text, number = _section(section, number, max_pixels, warnings)
        body.append(text)
    facts = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                    for label, value in report.facts)
    status = "".join(f"<li>{html.escape(line)}</li>" for line in report.status)
    if warnings:
        notes = ('<section class="warnings" id="warnings"><h2>Warnings</h2><ul>'
                 + "".join(f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul></section>")
    else:
        notes = (f'<section class="ok" id="warnings"><p>'
                 f"{html.escape(NO_WARNINGS[report.kind])}</p></section>")
    question = (f'<p class="question"><strong>Question:</strong> '
                f"{html.escape(report.question)}</p>\n" if report.question else "")
    where = html.escape(f"lcsim {report.kind} report of {report.folder}")
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(report.title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{html.escape(report.title)}</h1>
{question}<p class="kind">{where}</p>
</header>
{notes}
<h2>Run status</h2>
<ul>{status}</ul>
<h2>Config and provenance</h2>
<table class="facts">{facts}</table>
{chr(10).join(body)}
<footer>Written by lcsim {html.escape(__version__)} on {made}. Every figure is embedded in
this file; it needs nothing else to open.</footer>
</body>
</html>
"""
