"""What the benchmarks share: ``--check``, ``--repeats`` and ending on their goals."""

from __future__ import annotations

import argparse
from collections.abc import Iterable


def benchmark_parser(doc: str, repeats: int | None = None,
                     repeats_help: str = "") -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with ``--check``.

    With ``repeats``, also ``--repeats`` (that default; :func:`parse_checked`
    refuses a value below 1).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=repeats, help=repeats_help)
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a goal is missed")
    return parser


def parse_checked(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """Parse ``argv``; stop with argparse's usage error when ``--repeats`` is below 1."""
    args = parser.parse_args(argv)
    if getattr(args, "repeats", 1) < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def conclude(report: Iterable[str], goals: Iterable[tuple[bool, str]], check: bool) -> int:
    """Print the report; the exit status is 1 only with ``check`` and a missed goal."""
    print("\n".join(report))
    missed = not all(met for met, _ in goals)
    return 1 if check and missed else 0
