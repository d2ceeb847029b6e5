"""Bar charts are geometry computed on the server: checked here without a browser."""

import datetime

import pytest

from subscriptions.charts import HEIGHT, TOP, WIDTH, bar_chart

DAYS = [datetime.date(2026, 11, 1) + datetime.timedelta(days=i) for i in range(5)]


def chart(values, rtl=False):
    return bar_chart(name="net", title="Net", days=DAYS, values=values, rtl=rtl,
                     date_label=lambda d: d.strftime("%d/%m"), number_label=str)


def test_bars_are_as_tall_as_their_values_and_negatives_hang_below_zero():
    drawn = chart([0, 10, 5, -5, 0])
    heights = [bar.height for bar in drawn.bars]
    assert heights[0] == 0 and heights[4] == 0
    assert heights[1] == pytest.approx(2 * heights[2], abs=0.02) == pytest.approx(2 * heights[3], abs=0.02)
    assert drawn.bars[1].y == TOP  # the peak reaches the top of the plot
    assert drawn.bars[2].y + drawn.bars[2].height == pytest.approx(drawn.zero_y, abs=0.02)  # on the zero line
    assert drawn.bars[3].negative and drawn.bars[3].y == drawn.zero_y  # hanging from it
    assert TOP < drawn.zero_y < HEIGHT
    assert (drawn.total, drawn.peak, drawn.trough) == (10, 10, -5)


def test_time_runs_right_to_left_in_arabic():
    ltr, rtl = chart([1, 2, 3, 4, 5]), chart([1, 2, 3, 4, 5], rtl=True)
    xs_ltr, xs_rtl = [b.x for b in ltr.bars], [b.x for b in rtl.bars]
    assert xs_ltr == sorted(xs_ltr) and xs_rtl == sorted(xs_rtl, reverse=True)
    # Mirror images: the oldest day's bar at the right edge in RTL.
    for left, right in zip(ltr.bars, rtl.bars):
        assert abs((left.x + left.width) - (WIDTH - right.x)) < 0.05
    # The oldest date is labelled at the right, growing inwards (RTL text starts on the right).
    oldest = next(label for label in rtl.labels if label.text == "01/11")
    assert oldest.x == WIDTH and oldest.anchor == "start"
    newest = next(label for label in rtl.labels if label.text == "05/11")
    assert newest.x == 0 and newest.anchor == "end"


def test_an_empty_series_draws_a_flat_line_without_a_peak_label():
    drawn = chart([0, 0, 0, 0, 0])
    assert all(bar.height == 0 for bar in drawn.bars)
    assert [label.text for label in drawn.labels] == ["01/11", "05/11"]
