"""What the benchmarks share: checking ``--repeats`` and ending on their goals."""

from __future__ import annotations

import argparse
from collections.abc import Iterable


def check_repeats(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with argparse's usage error when ``--repeats`` is below 1."""
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")


def conclude(report: Iterable[str], goals: Iterable[tuple[bool, str]], check: bool) -> int:
    """Print the report; the exit status is 1 only with ``check`` and a missed goal."""
    print("\n".join(report))
    missed = not all(met for met, _ in goals)
    return 1 if check and missed else 0
