"""Charts as standalone SVG, drawn in Python, for documents rendered by WeasyPrint (which runs no
JavaScript, so the pages' ECharts cannot draw a PDF's chart). Pure: no database, no Django, no domain app.

- `pareto_svg`: a Pareto chart (排列图, R-SV-3): bars in the order given (the caller ranks them, descending),
  their counts on a left axis, the cumulative share as a line with dots on a right axis 0–100 %, and a
  dashed line at the cutoff (80 %).
- `bar_svg`: horizontal or vertical bars with their values written beside them; a value of None (an
  undefined rate) draws no bar and writes "—".

Every text that reaches the SVG (title, labels, values, units) is XML-escaped; numbers are formatted here.
Text is in "Noto Sans CJK SC" so Chinese labels render (Debian fonts-noto-cjk, as the PDFs use).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

Number = int | float | Decimal | Fraction | str

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
BAR_COLOUR = "#4a78b5"
LINE_COLOUR = "#c0392b"
CUTOFF_COLOUR = "#7f8c8d"
AXIS_COLOUR = "#333333"
GRID_COLOUR = "#dddddd"
TEXT_COLOUR = "#222222"
_XMLNS = 'xmlns="http://www.w3.org/2000/svg"'
_SIZE = re.compile(r'^<svg xmlns="http://www.w3.org/2000/svg" width="[^"]*" height="[^"]*"')


def _text(value: object) -> str:
    """Text content, XML-escaped (also the quote characters, harmless in content)."""
    return escape(str(value), {'"': "&quot;", "'": "&#x27;"})


def _number(value: Number | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        cleaned = value.strip().rstrip("%").strip()
        if not cleaned:
            return None
        try:
            return float(Decimal(cleaned))
        except ArithmeticError:
            return None
    return float(value)


def _fmt(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _value_text(value: Number | None, unit: str) -> str:
    """How a value is written on the chart: a Decimal or string as given ("93.33"), an int as is, a float
    or fraction to two decimals; "—" when undefined."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "—"
    if isinstance(value, int):
        shown = str(value)
    elif isinstance(value, (Decimal, str)):
        shown = str(value).strip()
    else:
        shown = f"{float(value):.2f}"
    return f"{shown}{unit}" if unit and not shown.endswith(unit) else shown


def _text_width(text: str, size: float) -> float:
    """A rough width: CJK and other wide characters take a full em, the rest about half of one."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def _nice_max(value: float) -> float:
    """The axis top: 1, 2, 2.5, 5 or 10 × a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _ticks(top: float, count: int = 5) -> list[float]:
    if top <= 5 and float(top).is_integer():
        return [float(i) for i in range(int(top) + 1)]
    return [top * i / count for i in range(count + 1)]


def _open(width: float, height: float, title: str) -> list[str]:
    parts = [
        f'<svg {_XMLNS} width="{_fmt(width)}" height="{_fmt(height)}" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" font-family={quoteattr(FONT)} font-size="11" '
        f'role="img" aria-label={quoteattr(title)}>'
    ]
    if title:
        parts.append(f"<title>{_text(title)}</title>")
        parts.append(
            f'<text x="{_fmt(width / 2)}" y="18" text-anchor="middle" font-size="13" font-weight="bold" '
            f'fill="{TEXT_COLOUR}">{_text(title)}</text>'
        )
    return parts


def fluid(svg: str) -> str:
    """A chart of this module that scales to its container's width (on a page, a phone's too): the width
    100%, the height following from the viewBox."""
    return _SIZE.sub(f'<svg {_XMLNS} width="100%"', svg, count=1)


def _empty(width: float, height: float, title: str, empty_text: str) -> str:
    parts = _open(width, height, title)
    parts.append(
        f'<text x="{_fmt(width / 2)}" y="{_fmt(height / 2)}" text-anchor="middle" fill="#666666">'
        f"{_text(empty_text)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _category_labels(
    labels: Sequence[str], *, left: float, slot: float, baseline: float, size: float
) -> list[str]:
    """Labels under vertical bars: straight when they fit their slot, else turned 40° (`label_room` says
    how much room they take below the axis)."""
    widest = max((_text_width(str(label), size) for label in labels), default=0.0)
    turned = widest > slot * 0.95
    parts = []
    for index, label in enumerate(labels):
        x = left + slot * (index + 0.5)
        if turned:
            y = baseline + size + 2
            parts.append(
                f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="end" font-size="{_fmt(size)}" '
                f'fill="{TEXT_COLOUR}" transform="rotate(-40 {_fmt(x)} {_fmt(y)})">{_text(label)}</text>'
            )
        else:
            parts.append(
                f'<text x="{_fmt(x)}" y="{_fmt(baseline + size + 4)}" text-anchor="middle" '
                f'font-size="{_fmt(size)}" fill="{TEXT_COLOUR}">{_text(label)}</text>'
            )
    return parts


def label_room(labels: Sequence[str], *, slot: float, size: float = 11) -> float:
    """The height the category labels of vertical bars need below the axis."""
    widest = max((_text_width(str(label), size) for label in labels), default=0.0)
    return (widest * 0.64 + size * 1.5) if widest > slot * 0.95 else size + 8


def pareto_svg(  # noqa: PLR0913 - a chart's parts, all keyword-only but the three series
    labels: Sequence[str],
    counts: Sequence[int],
    cumulative_percents: Sequence[Number],
    *,
    cutoff: Number = 80,
    title: str = "",
    count_label: str = "",
    cumulative_label: str = "",
    empty_text: str = "—",
    width: float = 640,
    height: float = 320,
) -> str:
    """A Pareto chart as one SVG element. `labels`, `counts` and `cumulative_percents` are parallel, in
    the order the bars are drawn (the caller ranks them descending); the cumulative share is in percent
    (0–100, as numbers, Decimals, Fractions or strings like "62.50")."""
    if not (len(labels) == len(counts) == len(cumulative_percents)):
        raise ValueError("labels, counts and cumulative_percents differ in length")
    if not labels:
        return _empty(width, height, title, empty_text)
    size = 11.0
    left, right = 46.0, 50.0
    top = (44.0 if title else 26.0) if (count_label or cumulative_label) else (34.0 if title else 14.0)
    slot = (width - left - right) / len(labels)
    bottom = label_room([str(label) for label in labels], slot=slot, size=size) + 6
    plot_h = height - top - bottom
    baseline = top + plot_h
    count_top = _nice_max(float(max(counts)))
    parts = _open(width, height, title)

    # grid and the left axis (counts)
    for tick in _ticks(count_top):
        y = baseline - plot_h * tick / count_top
        parts.append(
            f'<line x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(width - right)}" y2="{_fmt(y)}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{_fmt(left - 5)}" y="{_fmt(y + 4)}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{_text(_fmt(tick))}</text>"
        )
    # the right axis (cumulative share, 0–100 %)
    for percent in range(0, 101, 20):
        y = baseline - plot_h * percent / 100
        parts.append(
            f'<text x="{_fmt(width - right + 5)}" y="{_fmt(y + 4)}" fill="{TEXT_COLOUR}">{percent}%</text>'
        )
    parts.append(
        f'<line x1="{_fmt(left)}" y1="{_fmt(top)}" x2="{_fmt(left)}" y2="{_fmt(baseline)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
        f'<line x1="{_fmt(width - right)}" y1="{_fmt(top)}" x2="{_fmt(width - right)}" '
        f'y2="{_fmt(baseline)}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
        f'<line x1="{_fmt(left)}" y1="{_fmt(baseline)}" x2="{_fmt(width - right)}" y2="{_fmt(baseline)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    if count_label:
        parts.append(
            f'<text x="{_fmt(left)}" y="{_fmt(top - 10)}" text-anchor="middle" font-size="10" '
            f'fill="{TEXT_COLOUR}">{_text(count_label)}</text>'
        )
    if cumulative_label:
        parts.append(
            f'<text x="{_fmt(width - right)}" y="{_fmt(top - 10)}" text-anchor="middle" font-size="10" '
            f'fill="{TEXT_COLOUR}">{_text(cumulative_label)}</text>'
        )

    # the bars, with their counts
    bar_w = slot * 0.64
    for index, count in enumerate(counts):
        h = plot_h * count / count_top
        x = left + slot * index + (slot - bar_w) / 2
        parts.append(
            f'<rect class="bar" data-count="{int(count)}" x="{_fmt(x)}" y="{_fmt(baseline - h)}" '
            f'width="{_fmt(bar_w)}" height="{_fmt(h)}" fill="{BAR_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{_fmt(x + bar_w / 2)}" y="{_fmt(baseline - h - 3)}" text-anchor="middle" '
            f'font-size="10" fill="{TEXT_COLOUR}">{int(count)}</text>'
        )
    labels_svg = _category_labels(
        [str(label) for label in labels], left=left, slot=slot, baseline=baseline, size=size
    )
    parts.extend(labels_svg)

    # the cutoff line (dashed), on the right axis's scale
    cut = _number(cutoff)
    if cut is not None:
        y = baseline - plot_h * min(max(cut, 0.0), 100.0) / 100
        parts.append(
            f'<line class="cutoff" x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(width - right)}" '
            f'y2="{_fmt(y)}" stroke="{CUTOFF_COLOUR}" stroke-width="1" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{_fmt(width - right - 4)}" y="{_fmt(y - 4)}" text-anchor="end" font-size="10" '
            f'fill="{CUTOFF_COLOUR}">{_text(_value_text(cutoff, "%"))}</text>'
        )

    # the cumulative line with its dots
    points = []
    for index, value in enumerate(cumulative_percents):
        share = min(max(_number(value) or 0.0, 0.0), 100.0)
        points.append((left + slot * (index + 0.5), baseline - plot_h * share / 100))
    parts.append(
        '<polyline class="cumulative" fill="none" stroke="{}" stroke-width="1.6" points="{}"/>'.format(
            LINE_COLOUR, " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
        )
    )
    for (x, y), value in zip(points, cumulative_percents, strict=True):
        parts.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{LINE_COLOUR}"/>')
        parts.append(
            f'<text x="{_fmt(x + 5)}" y="{_fmt(y - 5)}" font-size="9" fill="{LINE_COLOUR}">'
            f"{_text(_value_text(value, '%'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_svg(  # noqa: PLR0913 - a chart's parts, all keyword-only but the two series
    labels: Sequence[str],
    values: Sequence[Number | None],
    *,
    unit: str = "%",
    horizontal: bool = True,
    max_value: Number | None = None,
    title: str = "",
    empty_text: str = "—",
    width: float = 640,
    height: float | None = None,
) -> str:
    """Bars with their values written beside them, one per label, in the order given. `max_value`: the
    axis's end (100 for percentages, the default when `unit` is "%"; else the largest value, rounded up).
    A None value draws no bar and writes "—" (an undefined rate is never drawn as 0)."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    numbers = [_number(value) for value in values]
    top_value = _number(max_value) if max_value is not None else (100.0 if unit == "%" else None)
    if top_value is None:
        top_value = _nice_max(max((n for n in numbers if n is not None), default=1.0))
    if not labels:
        return _empty(width, height or 120, title, empty_text)
    if horizontal:
        return _horizontal(
            labels, values, numbers, unit=unit, top_value=top_value, title=title, width=width, height=height
        )
    return _vertical(
        labels,
        values,
        numbers,
        unit=unit,
        top_value=top_value,
        title=title,
        width=width,
        height=height or 300,
    )


def _horizontal(  # noqa: PLR0913
    labels: Sequence[str],
    values: Sequence[Number | None],
    numbers: list[float | None],
    *,
    unit: str,
    top_value: float,
    title: str,
    width: float,
    height: float | None,
) -> str:
    size = 11.0
    row = 22.0
    top = 32.0 if title else 10.0
    left = min(max(_text_width(str(label), size) for label in labels) + 12, width * 0.4)
    right = 64.0
    total_h = height or top + row * len(labels) + 10
    plot_w = width - left - right
    parts = _open(width, total_h, title)
    parts.append(
        f'<line x1="{_fmt(left)}" y1="{_fmt(top)}" x2="{_fmt(left)}" y2="{_fmt(top + row * len(labels))}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    for index, (label, value, number) in enumerate(zip(labels, values, numbers, strict=True)):
        y = top + row * index
        parts.append(
            f'<text x="{_fmt(left - 6)}" y="{_fmt(y + row / 2 + 4)}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{_text(label)}</text>'
        )
        w = 0.0 if number is None else plot_w * min(max(number, 0.0), top_value) / top_value
        if number is not None:
            parts.append(
                f'<rect class="bar" x="{_fmt(left)}" y="{_fmt(y + 4)}" width="{_fmt(w)}" '
                f'height="{_fmt(row - 8)}" fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{_fmt(left + w + 4)}" y="{_fmt(y + row / 2 + 4)}" fill="{TEXT_COLOUR}">'
            f"{_text(_value_text(value, unit))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _vertical(  # noqa: PLR0913
    labels: Sequence[str],
    values: Sequence[Number | None],
    numbers: list[float | None],
    *,
    unit: str,
    top_value: float,
    title: str,
    width: float,
    height: float,
) -> str:
    size = 11.0
    left, right, top = 46.0, 14.0, 34.0 if title else 16.0
    slot = (width - left - right) / len(labels)
    bottom = label_room([str(label) for label in labels], slot=slot, size=size) + 6
    plot_h = height - top - bottom
    baseline = top + plot_h
    parts = _open(width, height, title)
    for tick in _ticks(top_value):
        y = baseline - plot_h * tick / top_value
        parts.append(
            f'<line x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(width - right)}" y2="{_fmt(y)}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.6"/>'
            f'<text x="{_fmt(left - 5)}" y="{_fmt(y + 4)}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{_text(_fmt(tick))}</text>"
        )
    parts.append(
        f'<line x1="{_fmt(left)}" y1="{_fmt(baseline)}" x2="{_fmt(width - right)}" y2="{_fmt(baseline)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    bar_w = slot * 0.6
    for index, (value, number) in enumerate(zip(values, numbers, strict=True)):
        x = left + slot * index + (slot - bar_w) / 2
        h = 0.0 if number is None else plot_h * min(max(number, 0.0), top_value) / top_value
        if number is not None:
            parts.append(
                f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(baseline - h)}" width="{_fmt(bar_w)}" '
                f'height="{_fmt(h)}" fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{_fmt(x + bar_w / 2)}" y="{_fmt(baseline - h - 3)}" text-anchor="middle" '
            f'font-size="10" fill="{TEXT_COLOUR}">{_text(_value_text(value, unit))}</text>'
        )
    labels_svg = _category_labels(
        [str(label) for label in labels], left=left, slot=slot, baseline=baseline, size=size
    )
    parts.extend(labels_svg)
    parts.append("</svg>")
    return "".join(parts)
