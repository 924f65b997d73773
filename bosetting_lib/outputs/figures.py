"""Accessible, reproducible figures: colour-blind-safe palette, direct labels, PNG bytes with fixed metadata."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
SERIES_COLOURS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow")]
# Hatches so that no series is told apart by colour alone.
SERIES_HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo"]

plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "bosetting",
})


def png_bytes(fig: plt.Figure, dpi: int = 110) -> bytes:
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
    return (
        f'<figure id="{html.escape(figure_id)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
