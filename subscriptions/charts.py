"""Bar charts as plain SVG geometry, drawn by a template on the server.

No chart library and no script: the admin runs under a strict CSP, and an SVG of 90
rectangles is a few kilobytes. Time runs in the reading direction: right to left in
Arabic (the oldest day at the right edge, today at the left), left to right in English.
Geometry is computed here, in user units of the SVG's viewBox, so the template only
prints numbers and tests can check the drawing without a browser.
"""

from dataclasses import dataclass, field
from datetime import date

WIDTH = 720
HEIGHT = 150
# Room for the value labels above the plot and the date labels below it.
TOP = 16
BOTTOM = 22
GAP = 0.2  # share of each day's slot left empty between bars


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def negative(self) -> bool:
        return self.value < 0


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str  # SVG text-anchor, already turned for the text's direction


@dataclass
class BarChart:
    name: str
    title: str
    bars: list[Bar]
    zero_y: float
    width: int = WIDTH
    height: int = HEIGHT
    rtl: bool = False
    labels: list[Label] = field(default_factory=list)
    total: int = 0
    peak: int = 0
    trough: int = 0


def bar_chart(
    *, name: str, title: str, days: list[date], values: list[int], rtl: bool,
    date_label=str, number_label=str, width: int = WIDTH, height: int = HEIGHT,
) -> BarChart:
    """One bar per day, oldest first in ``days``; negative values hang below a zero line.

    The scale spans from min(0, lowest) to max(0, highest), so an all-zero series draws
    a flat zero line and no bars taller than the plot.
    """
    if len(days) != len(values):
        raise ValueError("one value per day")
    peak, trough = max([0, *values]), min([0, *values])
    span = (peak - trough) or 1
    plot = height - TOP - BOTTOM
    zero_y = TOP + plot * peak / span
    slot = width / max(len(values), 1)
    bar_width = slot * (1 - GAP)
    bars = []
    for index, (day, value) in enumerate(zip(days, values)):
        # Slot 0 is the oldest day: at the reading start (right in RTL).
        left = width - (index + 1) * slot if rtl else index * slot
        size = plot * abs(value) / span
        top = zero_y - size if value >= 0 else zero_y
        bars.append(Bar(day=day, value=value, x=round(left + slot * GAP / 2, 2), y=round(top, 2),
                        width=round(bar_width, 2), height=round(size, 2)))
    chart = BarChart(name=name, title=title, bars=bars, zero_y=round(zero_y, 2), width=width, height=height,
                     rtl=rtl, total=sum(values), peak=peak, trough=trough)
    if bars:
        chart.labels = _labels(chart, date_label, number_label)
    return chart


def _labels(chart: BarChart, date_label, number_label) -> list[Label]:
    """Dates of the first and last day under their bars, the peak above the plot.

    Labels sit at the chart's left or right edge and grow inwards. With ``direction:
    rtl`` an SVG text's "start" is its right end, so the anchor is turned for Arabic.
    """
    left_anchor, right_anchor = ("end", "start") if chart.rtl else ("start", "end")
    oldest, newest = chart.bars[0], chart.bars[-1]
    baseline = chart.height - 6
    labels = []
    for bar in (oldest, newest):
        at_left = bar.x < chart.width / 2
        labels.append(Label(date_label(bar.day), 0 if at_left else chart.width, baseline,
                            left_anchor if at_left else right_anchor))
    if chart.peak:
        # The peak's value at the reading start, top of the plot.
        labels.append(Label(number_label(chart.peak), chart.width if chart.rtl else 0, TOP - 4,
                            right_anchor if chart.rtl else left_anchor))
    return labels
