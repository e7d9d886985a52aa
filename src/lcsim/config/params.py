"""Declaring config fields with their meaning, unit, range and source.

Every tunable number in lcsim is declared with :func:`param`, so that the
validation of user input, the parameter table of the model description and
the sensitivity-analysis layer all read one declaration.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Any


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[str] | None = None,
    source: str = "",
) -> Any:
    """Declare a config field with its documentation and allowed range.

    Args:
        default: Default value; lists and dicts are copied per instance.
        doc: What the value means, in one sentence.
        unit: Unit of the value ("" for dimensionless numbers).
        low: Smallest allowed value (inclusive), or None for no bound.
        high: Largest allowed value (inclusive), or None for no bound.
        choices: The allowed words, for categorical fields.
        source: Where the default comes from (paper, data set, or
            "assumption").
    """
    metadata = {
        "doc": doc,
        "unit": unit,
        "low": low,
        "high": high,
        "choices": tuple(choices) if choices is not None else None,
        "source": source,
    }
    if isinstance(default, list | dict):
        return dataclasses.field(
            default_factory=lambda: type(default)(default), metadata=metadata
        )
    return dataclasses.field(default=default, metadata=metadata)


def describe(cls: type, prefix: str = "") -> list[dict[str, Any]]:
    """List every declared field of a config dataclass, nested ones included.

    Returns one dict per leaf field with the keys ``name`` (dotted path),
    ``default``, ``doc``, ``unit``, ``low``, ``high``, ``choices`` and
    ``source``.
    """
    rows: list[dict[str, Any]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        kind = hints.get(f.name)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            rows.extend(describe(kind, prefix=name + "."))
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
            if dataclasses.is_dataclass(default):
                rows.extend(describe(type(default), prefix=name + "."))
                continue
        else:
            default = None
        meta = dict(f.metadata)
        rows.append({"name": name, "default": default, **meta})
    return rows


def range_text(
    row: dict[str, Any],
    *,
    between: str,
    at_least: str,
    at_most: str,
    choice: str = "{}",
    number: Any = None,
) -> str | None:
    """Say in words what a declared field allows, or None if it declares nothing.

    Args:
        row: One row of :func:`describe`.
        between, at_least, at_most: Templates with ``{low}`` and ``{high}``.
        choice: Template for one allowed word.
        number: Formats a bound (default: integers without a decimal point).
    """
    if row.get("choices"):
        return "one of " + ", ".join(choice.format(c) for c in row["choices"])
    fmt = number or _bound
    low, high = row.get("low"), row.get("high")
    if low is not None and high is not None:
        return between.format(low=fmt(low), high=fmt(high))
    if low is not None:
        return at_least.format(low=fmt(low))
    if high is not None:
        return at_most.format(high=fmt(high))
    return None


def _bound(x: float) -> str:
    return f"{int(x):d}" if float(x).is_integer() else f"{x:g}"
