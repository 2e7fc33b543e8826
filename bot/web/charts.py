"""Charts drawn on the server as SVG (pygal), shown as images with their data beside them.

The dashboard's CSP allows no inline style and no script, so a chart is never inlined:
it is an <img> whose source is the SVG as a data: URI, with a text alternative, and the
page shows the same numbers as a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pygal
from pygal.style import Style

from bot.web.svg import data_uri

# pygal writes its settings into the SVG as a script for its interactive mode; an image
# runs none, so it is taken out, and the SVG's own title becomes the chart's alternative.
_SCRIPT = re.compile(rb"<script[^>]*>.*?</script>", re.DOTALL)
_TITLE = re.compile(rb"<title>Pygal</title>")
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222222",
    foreground_strong="#000000",
    foreground_subtle="#666666",
    font_family="sans-serif",
    # Dark, distinct colours, told apart also by the legend and the table.
    colors=("#1f5fa8", "#b2541a", "#2e7d32", "#6a1b9a"),
)


@dataclass(frozen=True)
class Chart:
    """An image to show: its data: URI and its text alternative."""

    src: str
    alt: str


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    alt: str,
    *,
    low: float = 0.0,
    high: float = 1.0,
) -> Chart | None:
    """A small line chart of `series` (name, one value or None per label); None when no
    series has a value."""
    if not any(value is not None for _name, values in series for value in values):
        return None
    chart = pygal.Line(
        js=[],  # no script: none could run in an <img>, and the CSP allows none
        disable_xml_declaration=False,  # a standalone SVG document
        width=520,
        height=260,
        range=(low, high),
        style=_STYLE,
        show_dots=True,
        dots_size=4,
        legend_at_bottom=True,
        truncate_legend=-1,
        x_label_rotation=0,
        allow_interruptions=True,
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    svg = _SCRIPT.sub(b"", chart.render())
    svg = _TITLE.sub(b"<title>" + escape(alt).encode() + b"</title>", svg, count=1)
    return Chart(data_uri(svg), alt)
