"""The one look of lcsim's figures, and how every figure is written.

* :data:`PALETTE` — the Okabe–Ito colours, distinguishable with the common
  forms of colour blindness (Okabe & Ito 2008), for categories;
  :data:`SEQUENTIAL` and :data:`MAGNITUDE` are the colour maps for values on a
  scale (viridis and cividis: colour-blind safe, and a ramp in grey);
  :data:`DIVERGING` is the map for values either side of 0 (ColorBrewer's
  PuOr, purple against orange, marked colour-blind safe by Brewer);
* :func:`figure_style` — matplotlib settings every figure function draws in;
* :func:`figure_options` — the file format and the pixel cap of a command's
  figures (``figures_format``, ``figures_max_pixels`` in the config);
* :func:`save_figure` — writes a figure atomically at a resolution low
  enough that neither side exceeds the cap, and closes it, so that batch jobs
  keep no figure open.

References:
    Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make
    figures and presentations that are friendly to colorblind people.
    https://jfly.uni-koeln.de/color/

    Harrower, M. & Brewer, C. A. (2003). ColorBrewer.org: an online tool for
    selecting colour schemes for maps. The Cartographic Journal 40(1), 27-37.
    https://doi.org/10.1179/000870403235002042
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import cycler

from lcsim.errors import ConfigError
from lcsim.files import atomic_write
from lcsim.plotting import plt

log = logging.getLogger(__name__)

#: Okabe–Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue,
#: yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
           "#F0E442", "#000000")
SEQUENTIAL = "viridis"
#: For widths and other magnitudes, kept apart from the means' map.
MAGNITUDE = "cividis"
#: For values either side of 0 (a diverging map, centred by ``vmin = -vmax``).
DIVERGING = "PuOr"
DPI = 120
#: Vector formats a figure may be written in besides its PNG.
FORMATS = ("png", "svg", "pdf")

RC: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "image.cmap": SEQUENTIAL,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.family": "DejaVu Sans",
}


@dataclass(frozen=True)
class FigureOptions:
    """How a command's figures are written.

    Attributes:
        format: ``png``, or ``svg``/``pdf`` for a vector copy next to each PNG.
        max_pixels: Largest width or height of a PNG, pixels.
    """

    format: str = "png"
    max_pixels: int = 4000


_OPTIONS: contextvars.ContextVar[FigureOptions | None] = contextvars.ContextVar(
    "lcsim_figure_options", default=None)


def current_options() -> FigureOptions:
    """The figure options in force (the defaults outside :func:`figure_options`)."""
    return _OPTIONS.get() or FigureOptions()


@contextmanager
def figure_options(format: str = "png", max_pixels: int = 4000) -> Iterator[FigureOptions]:
    """Write the figures made inside in ``format``, none above ``max_pixels`` a side.

    Also draws them in :func:`figure_style`, so that figure functions of other
    modules get the same look.
    """
    if format not in FORMATS:
        raise ConfigError("figures_format", format, f"one of {', '.join(FORMATS)}")
    token = _OPTIONS.set(FigureOptions(format, int(max_pixels)))
    try:
        with figure_style():
            yield current_options()
    finally:
        _OPTIONS.reset(token)


def options_of(config: Any) -> FigureOptions:
    """The figure options a config asks for (``figures_format``, ``figures_max_pixels``)."""
    return FigureOptions(config.figures_format, config.figures_max_pixels)


@contextmanager
def figure_style() -> Iterator[None]:
    """Draw inside with lcsim's palette, fonts and grid."""
    with plt.rc_context(RC):
        yield


def styled[F: Callable[..., Any]](function: F) -> F:
    """Draw the figures of ``function`` in :func:`figure_style`.

    A figure it opened is closed if it fails before saving it.
    """
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before = set(plt.get_fignums())
        try:
            with figure_style():
                return function(*args, **kwargs)
        except BaseException:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
            raise

    return wrapper  # type: ignore[return-value]


def pixel_size(fig: plt.Figure, dpi: float = DPI) -> tuple[int, int]:
    """Width and height in pixels of the figure's PNG at ``dpi``."""
    width, height = fig.get_size_inches()
    return int(width * dpi), int(height * dpi)


def fitting_dpi(fig: plt.Figure, max_pixels: int, dpi: float = DPI) -> float:
    """``dpi``, or the lower resolution at which neither side exceeds ``max_pixels``.

    The figure keeps its size in inches, so its layout, fonts and aspect ratio
    stay as drawn; only the pixels per inch go down.
    """
    longest = max(fig.get_size_inches())
    return min(float(dpi), max_pixels / longest)


def save_figure(fig: plt.Figure, path: Path, *, formats: tuple[str, ...] | None = None,
                max_pixels: int | None = None) -> Path:
    """Write a figure as PNG (and a vector copy if asked) atomically, and close it.

    A figure larger than ``max_pixels`` on a side at :data:`DPI` is written at
    the lower resolution that fits it (:func:`fitting_dpi`), so no PNG exceeds
    the cap; figures with much data aggregate or paginate before that.

    Args:
        fig: The figure; closed whatever happens.
        path: The PNG's path; a vector copy gets the same name with its suffix.
        formats: Formats to write (default: PNG, plus ``figures_format``).
        max_pixels: Largest width or height in pixels (default:
            ``figures_max_pixels`` in force).
    """
    options = current_options()
    cap = options.max_pixels if max_pixels is None else max_pixels
    if formats is None:
        formats = ("png",) if options.format == "png" else ("png", options.format)
    path = Path(path)
    try:
        dpi = fitting_dpi(fig, cap)
        if dpi < DPI:
            width, height = pixel_size(fig)
            log.info("%s: %d x %d pixels at %d dpi is above figures_max_pixels=%d; "
                     "written at %.1f dpi, %d x %d pixels", path.name, width, height, DPI,
                     cap, dpi, *pixel_size(fig, dpi))
        for kind in formats:
            target = path.with_suffix(f".{kind}")
            atomic_write(target, lambda tmp, kind=kind: fig.savefig(tmp, format=kind,
                                                                   dpi=dpi))
    finally:
        plt.close(fig)
    return path
