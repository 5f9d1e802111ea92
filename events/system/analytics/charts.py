"""Bar charts drawn on the server as inline SVG: no script, no stylesheet, nothing fetched, so
the dashboard renders the same on a machine with no internet access."""

from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from events.system.analytics.selectors import Timeline

# Colour-blind-safe (Okabe-Ito), then grey for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#999999"

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 48, 22, 10


def colour(index: int, name: str) -> str:
    return OTHER if name == "other" else PALETTE[index % len(PALETTE)]


def stacked_bars(
    timeline: Timeline, *, label_every: int, time_format: str, title: str
) -> SafeString:
    """One bar per slot, its series stacked in order, a scale on the left and a label under
    every `label_every`-th slot; each bar's tooltip gives its slot and counts."""
    slots, series = timeline.slots, timeline.series
    totals = [sum(s.values[i] for s in series) for i in range(len(slots))]
    peak = max(totals, default=0) or 1
    plot_width, plot_height = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(slots), 1)
    bar = max(step * 0.8, 1)
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-label="{}" class="analytics-chart">',
            WIDTH,
            HEIGHT,
            title,
        ),
        format_html("<title>{}</title>", title),
        _axis(peak, plot_height),
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
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#666">{}</text>',
                    _n(LEFT + i * step + step / 2),
                    HEIGHT - 6,
                    _when(slot, time_format),
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # every part was escaped by format_html


def legend(timeline: Timeline) -> list[tuple[str, str, int]]:
    """(colour, name, total) of each series, in the chart's order."""
    return [(colour(i, s.name), s.name, s.total) for i, s in enumerate(timeline.series)]


def _axis(peak: int, plot_height: float) -> SafeString:
    lines = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        lines.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#666">{}</text>',
                LEFT,
                WIDTH - 4,
                _n(y),
                _n(y),
                LEFT - 4,
                _n(y + 3),
                f"{round(peak * fraction):,}",
            )
        )
    return mark_safe("".join(lines))  # every line was escaped by format_html


def _n(number: float) -> str:
    return f"{number:.1f}"


def _when(slot: datetime, time_format: str) -> str:
    return slot.strftime(time_format)
