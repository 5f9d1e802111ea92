"""Bar charts drawn on the server as inline SVG: no script, no stylesheet, nothing fetched, so
the dashboard renders the same on a machine with no internet access."""

from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from events.system.analytics.selectors import Timeline

# Colour-blind-safe (Okabe-Ito), then grey for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#999999"

# A chart's drawing units are close to the pixels it gets at a 1400-pixel window (the wide
# chart the whole content column, the others half of it), so its text, FONT_SIZE units, is
# drawn at about that many pixels: never under 11.
WIDTH, HALF_WIDTH, HEIGHT = 960, 480, 200
LEFT, BOTTOM, TOP = 56, 24, 10
FONT_SIZE = 12


def colour(index: int, name: str) -> str:
    return OTHER if name == "other" else PALETTE[index % len(PALETTE)]


def stacked_bars(
    timeline: Timeline, *, label_every: int, time_format: str, title: str, width: int = WIDTH
) -> SafeString:
    """One bar per slot, its series stacked in order, a scale on the left and a label under
    every `label_every`-th slot; each bar's tooltip gives its slot and counts. `width`: in
    drawing units, about the pixels the chart is drawn in (WIDTH or HALF_WIDTH)."""
    slots, series = timeline.slots, timeline.series
    totals = [sum(s.values[i] for s in series) for i in range(len(slots))]
    peak = max(totals, default=0) or 1
    plot_width, plot_height = width - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(slots), 1)
    bar = max(step * 0.8, 1)
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-label="{}" class="analytics-chart">',
            width,
            HEIGHT,
            title,
        ),
        format_html("<title>{}</title>", title),
        _axis(peak, plot_height, width),
    ]
    for i, slot in enumerate(slots):
        x = LEFT + i * step + (step - bar) / 2
        y = TOP + plot_height
        tip = [f"{_when(slot, time_format)}: {totals[i]:,}"]
        for index, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            height = value / peak * plot_height
            y -= height
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    _n(x),
                    _n(y),
                    _n(bar),
                    _n(height),
                    colour(index, s.name),
                )
            )
            tip.append(f"{s.name}: {value:,}")
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="transparent">'
                "<title>{}</title></rect>",
                _n(LEFT + i * step),
                TOP,
                _n(step),
                _n(plot_height),
                "\n".join(tip),
            )
        )
        if i % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#555">{}</text>',
                    _n(LEFT + i * step + step / 2),
                    HEIGHT - 6,
                    FONT_SIZE,
                    _when(slot, time_format),
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # every part was escaped by format_html


def legend(timeline: Timeline) -> list[tuple[str, str, int]]:
    """(colour, name, total) of each series, in the chart's order."""
    return [(colour(i, s.name), s.name, s.total) for i, s in enumerate(timeline.series)]


def _axis(peak: int, plot_height: float, width: int) -> SafeString:
    lines = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        lines.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#555">{}</text>',
                LEFT,
                width - 4,
                _n(y),
                _n(y),
                LEFT - 6,
                _n(y + 4),
                FONT_SIZE,
                f"{round(peak * fraction):,}",
            )
        )
    return mark_safe("".join(lines))  # every line was escaped by format_html


def _n(number: float) -> str:
    return f"{number:.1f}"


def _when(slot: datetime, time_format: str) -> str:
    return slot.strftime(time_format)
