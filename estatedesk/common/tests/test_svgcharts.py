"""SVG charts for PDFs (common/svgcharts.py, R-SV-3's Pareto chart in the report): valid XML, bars in the
order given, the cumulative line on the 0–100 % axis, the cutoff line, and every text escaped. Pure."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from xml.etree import ElementTree

import pytest

from estatedesk.common.svgcharts import bar_svg, fluid, pareto_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def _bars(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


def _texts(root: ElementTree.Element) -> list[str]:
    return [text.text or "" for text in root.iter(f"{SVG}text")]


def test_sv_3_pareto_is_valid_svg_with_bars_in_the_order_given():
    svg = pareto_svg(
        ["工程维修", "保洁卫生", "秩序维护"],
        [5, 3, 2],
        [Fraction(50), Decimal("80.00"), "100.00"],
        title="不满意项排列图",
    )

    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    bars = _bars(root)
    assert [int(bar.get("data-count", "")) for bar in bars] == [5, 3, 2]
    heights = [float(bar.get("height", "")) for bar in bars]
    assert heights[0] > heights[1] > heights[2] > 0
    xs = [float(bar.get("x", "")) for bar in bars]
    assert xs == sorted(xs)
    texts = _texts(root)
    assert "不满意项排列图" in texts
    assert {"工程维修", "保洁卫生", "秩序维护"} <= set(texts)
    assert {"50.00%", "80.00%", "100.00%"} <= set(texts)
    assert "Noto Sans CJK SC" in root.get("font-family", "")


def test_sv_3_pareto_draws_the_cumulative_line_on_the_right_axis_and_a_dashed_cutoff():
    svg = pareto_svg(["甲", "乙"], [3, 1], [75, 100], cutoff=80, height=300)

    root = _parse(svg)
    line = next(el for el in root.iter(f"{SVG}polyline") if el.get("class") == "cumulative")
    points = [tuple(map(float, pair.split(","))) for pair in line.get("points", "").split()]
    assert len(points) == 2
    assert points[0][1] > points[1][1]  # 75% is lower on the page than 100%
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    cutoff = next(el for el in root.iter(f"{SVG}line") if el.get("class") == "cutoff")
    assert cutoff.get("stroke-dasharray")
    # 100% is the top of the plot, the cutoff line lies between 75% and 100%
    assert points[1][1] < float(cutoff.get("y1", "")) < points[0][1]
    assert "100%" in _texts(root)  # the right axis's top
    assert "80%" in _texts(root)


def test_sv_3_pareto_escapes_every_text():
    svg = pareto_svg(
        ["<script>alert(1)</script>", 'a"b&c'],
        [2, 1],
        [Fraction(200, 3), 100],
        title="<script>x</script>",
        count_label="<b>",
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)
    assert "<script>alert(1)</script>" in _texts(root)
    assert 'a"b&c' in _texts(root)
    assert not list(root.iter(f"{SVG}script"))


def test_sv_3_pareto_without_unsatisfied_answers_is_an_empty_chart_with_a_note():
    root = _parse(pareto_svg([], [], [], title="排列图", empty_text="没有不满意的回答"))

    assert _bars(root) == []
    assert "没有不满意的回答" in _texts(root)


def test_pareto_refuses_series_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        pareto_svg(["a"], [1, 2], [100])


def test_bar_svg_horizontal_writes_values_and_no_bar_for_an_undefined_rate():
    svg = bar_svg(["客户服务", "工程维修", "<script>"], [Decimal("93.33"), None, "50.00"], title="满意率")

    root = _parse(svg)
    bars = _bars(root)
    assert len(bars) == 2  # None draws no bar
    widths = [float(bar.get("width", "")) for bar in bars]
    assert widths[0] > widths[1]
    texts = _texts(root)
    assert {"93.33%", "—", "50.00%", "客户服务", "<script>"} <= set(texts)
    assert "<script>" not in svg


def test_bar_svg_vertical_scales_to_the_largest_value_without_a_unit():
    root = _parse(bar_svg(["1号楼", "2号楼"], [40, 10], unit="", horizontal=False))

    bars = _bars(root)
    heights = [float(bar.get("height", "")) for bar in bars]
    assert heights[0] == pytest.approx(heights[1] * 4)
    assert {"40", "10"} <= set(_texts(root))


def test_fluid_charts_scale_to_their_container():
    root = _parse(fluid(pareto_svg(["甲"], [1], [100], width=500, height=200)))

    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("viewBox") == "0 0 500 200"
