"""Accessible, reproducible figures: colour-blind-safe palette, direct labels, PNG bytes with fixed metadata."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from bosetting_lib.formatting import format_decimal, format_int

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
SERIES_COLOURS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]
# Hatches so that no series is told apart by colour alone.
SERIES_HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


def series_style(index: int) -> tuple[str, str]:
    """(colour, hatch) of the ``index``-th series in a figure; no two of the first 64 series look alike.

    The first eight take one colour and one hatch each; after that the hatches shift by one per round of colours,
    so a colour comes back only with another hatch.
    """
    colours, hatches = len(SERIES_COLOURS), len(SERIES_HATCHES)
    return SERIES_COLOURS[index % colours], SERIES_HATCHES[(index + index // colours) % hatches]


plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "bosetting",
})


def png_bytes(fig: plt.Figure, dpi: int = 130) -> bytes:
    """Render a figure to PNG without a timestamp or software tag, so reruns give the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def figure_html(fig: plt.Figure, *, alt: str, caption: str, figure_id: str) -> str:
    """An HTML <figure> with the PNG embedded, alt text and a visible caption."""
    if not alt.strip() or not caption.strip():
        raise ValueError("every figure needs alt text and a caption")
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    # On a phone the image keeps a readable size and its box scrolls sideways; tabindex lets a keyboard scroll it.
    label = caption.split(".")[0] if caption.startswith("Figur") else "Figur"
    return (
        f'<figure id="{html.escape(figure_id)}">'
        f'<div class="figurboks" tabindex="0" role="region" aria-label="{html.escape(label)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"></div>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def norwegian_axis(axis, *, whole: bool = True) -> None:
    """Tick labels written the Norwegian way (1 000, 2,5, −5); with ``whole`` only whole-number ticks (persons)."""
    if whole:
        axis.set_major_locator(MaxNLocator(integer=True))
        axis.set_major_formatter(FuncFormatter(lambda v, _: format_int(v)))
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, _: format_decimal(v, 1)))


def horizontal_bars(ax, y, widths, lefts, *, height: float = 0.8, color: str, hatch: str, edgecolor: str,
                    linewidth: float, label: str | None = None) -> PolyCollection:
    """Horizontal bars as ``ax.barh`` draws them (same pixels, limits and legend key), as one collection.

    ``barh`` makes a Rectangle artist per bar; a figure of 40 municipalities × 8 parts then has 600+ artists to
    create, lay out and draw. One collection per series keeps the picture and costs a fraction: corners joined
    with mitres like a Rectangle's, and each bar's left end kept as a sticky edge as ``barh`` does.
    """
    y = np.asarray(y, dtype="float64")
    left = np.asarray(lefts, dtype="float64")
    right = left + np.asarray(widths, dtype="float64")
    bottom, top = y - height / 2, y - height / 2 + height
    corners = np.stack([np.column_stack([left, bottom]), np.column_stack([left, top]),
                        np.column_stack([right, top]), np.column_stack([right, bottom])], axis=1)
    bars = PolyCollection(corners, closed=True, facecolors=color, edgecolors=edgecolor, linewidths=linewidth,
                          hatch=hatch or None, joinstyle="miter")
    bars.sticky_edges.x.extend(left.tolist())
    if label is not None:
        bars.set_label(label)
    ax.add_collection(bars)
    return bars


def place_labels(ax, xs, ys, labels, *, fontsize: float = 6.5, radii_pt=None) -> None:
    """Write each label next to its point, choosing among a few positions the first that overlaps no label or point
    already placed (largest points first is the caller's order); the least overlapping one if none is free."""
    fig = ax.figure
    # Fixes limits and aspect, so data positions map to their final pixels; nothing needs to be painted for that.
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    transform = ax.transData
    points = [transform.transform((x, y)) for x, y in zip(xs, ys)]
    scale = fig.dpi / 72
    radii = [4.0] * len(points) if radii_pt is None else list(radii_pt)
    taken = [(px - r * scale, py - r * scale, px + r * scale, py + r * scale) for (px, py), r in zip(points, radii)]
    candidates = [((4, 2), "left"), ((4, -2), "left"), ((-4, 2), "right"), ((-4, -2), "right"),
                  ((0, 6), "center"), ((0, -6), "center"), ((12, 10), "left"), ((12, -10), "left"),
                  ((-12, 10), "right"), ((-12, -10), "right")]

    def overlap(a, b) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    def extent(note) -> tuple[float, float, float, float]:
        box = note.get_window_extent(renderer)
        return (box.x0, box.y0, box.x1, box.y1)

    for i, ((x, y), text) in enumerate(zip(zip(xs, ys), labels)):
        best = None
        for (dx, dy), ha in candidates:
            # Offsets start at the edge of the point's own circle.
            grow = radii[i] * 0.8
            offset = (dx + (grow if dx > 0 else -grow if dx < 0 else 0), dy + (grow if dy > 0 else -grow))
            # Away from the first position a thin leader line says which point the label belongs to.
            leader = None if (dx, dy) == candidates[0][0] else dict(arrowstyle="-", color="#777777", lw=0.5,
                                                                     shrinkA=1, shrinkB=radii[i] * 0.9)
            style = dict(textcoords="offset points", xytext=offset, ha=ha, va="bottom" if dy > 0 else "top",
                         fontsize=fontsize)
            if best is not None and leader is not None:
                # The leader line only adds to the label's box, so a text that alone overlaps as much as the best
                # position so far cannot win; the leader's clipped path (the costly part) is then not worked out.
                probe = ax.annotate(text, (x, y), **style)
                alone = extent(probe)
                probe.remove()
                if sum(overlap(alone, t) for j, t in enumerate(taken) if j != i) >= best[0]:
                    continue
            note = ax.annotate(text, (x, y), arrowprops=leader, **style)
            bounds = extent(note)
            clash = sum(overlap(bounds, t) for j, t in enumerate(taken) if j != i)
            if best is None or clash < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clash, note, bounds)
            else:
                note.remove()
            if clash == 0:
                break
        taken.append(best[2])
