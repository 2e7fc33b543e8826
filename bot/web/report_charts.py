"""The reports' charts, drawn on the server as SVG by pygal.

pygal is pure Python: the SVG it writes here has no script (`js=[]` fetches none, and a
filter takes out the one holding pygal's configuration), and its style sheet is inlined
in the file, so nothing is fetched from the internet. The page shows the SVG as
an <img> (a data: URL), which the CSP allows where inline <svg> with a <style> would not.
Charts are drawn from the suppressed cells: a hidden figure is left out of the chart, and
the table beside it says "<5".
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pygal
from pygal.style import Style

from bot.reports import Table
from bot.web.svg import data_uri

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#555",
    colors=("#1f5f8b", "#e08a1e", "#3a8f4e", "#8b2f5f", "#666666"),
    font_family="sans-serif",
)
Series = tuple[tuple[str, tuple[float | None, ...]], ...]
DRAWN = 256  # charts kept, by their kind, labels and figures
_drawn: OrderedDict[tuple[str, tuple[str, ...], Series], str] = OrderedDict()
_KINDS = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}


def _without_scripts(root: Any) -> Any:
    """The SVG tree without <script> elements (an <img> would not run them anyway)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def chart_url(table: Table) -> str | None:
    """The table's chart as a data: URL of an SVG file, or None if it has no chart or
    nothing to draw. Drawing takes a while: the same figures are drawn once."""
    if table.chart is None or not table.rows:
        return None
    rows = table.rows[:-1] if table.totalled else table.rows
    labels = tuple(label for label, _cells in rows)
    series = tuple(
        (table.columns[i], tuple(cells[i].number for _label, cells in rows))
        for i in table.chart.columns
    )
    if all(value is None or value == 0 for _name, values in series for value in values):
        return None
    key = (table.chart.kind, labels, series)
    if key in _drawn:
        _drawn.move_to_end(key)
        return _drawn[key]
    url = _draw(table.chart.kind, labels, series)
    _drawn[key] = url
    while len(_drawn) > DRAWN:
        _drawn.popitem(last=False)
    return url


def _draw(kind: str, labels: tuple[str, ...], series: Series) -> str:
    chart = _KINDS[kind](
        js=[],  # no script in the file
        disable_xml_declaration=False,  # a whole SVG file, as an <img> needs
        style=_STYLE,
        width=640,
        height=max(240, 28 * len(labels) + 120) if kind == "hbar" else 320,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        truncate_label=-1,
        print_values=False,
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, values)  # None: left out (a hidden or missing figure)
    svg: bytes = chart.render()
    return data_uri(svg)
