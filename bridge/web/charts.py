"""Small charts as inline SVG for the admin console: pure functions of their numbers, so a
page needs no script and no image route. Every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["Series", "bars", "stacked_bars"]

Series = tuple[str, str, Sequence[float]]  # name, colour, one value per column

_W, _H, _LEFT, _BOTTOM, _TOP = 960, 200, 44, 24, 10


def stacked_bars(
    title: str, labels: Sequence[str], series: Sequence[Series], *, every: int = 1
) -> str:
    """Columns of stacked values, one per label (a label shown every ``every`` columns),
    with a legend of the series."""
    columns = len(labels)
    totals = [sum(values[i] for _, _, values in series) for i in range(columns)]
    top = max(totals, default=0) or 1
    width = (_W - _LEFT) / max(columns, 1)
    parts = [_frame(title, top)]
    for i in range(columns):
        y = float(_H - _BOTTOM)
        for name, colour, values in series:
            height = values[i] / top * (_H - _BOTTOM - _TOP)
            if height > 0:
                y -= height
                parts.append(
                    f'<rect x="{_LEFT + i * width + 1:.1f}" y="{y:.1f}" width="{max(width - 2, 1):.1f}"'
                    f' height="{height:.1f}" fill="{colour}"><title>{escape(labels[i])}: '
                    f"{values[i]:g} {escape(name)}</title></rect>"
                )
        if i % every == 0:
            parts.append(_label(_LEFT + i * width, labels[i]))
    legend = " ".join(
        f'<span class="key"><i style="background:{colour}"></i>{escape(name)}</span>'
        for name, colour, _ in series
    )
    return _svg(title, parts) + f'<p class="legend">{legend}</p>'


def bars(title: str, labels: Sequence[str], values: Sequence[float | None], *, unit: str) -> str:
    """One bar per label (None: no bar, nothing to show), on a scale from 0 to 100 when
    ``unit`` is %, else to the largest value."""
    top = 100.0 if unit == "%" else (max((v for v in values if v is not None), default=0) or 1)
    width = (_W - _LEFT) / max(len(labels), 1)
    parts = [_frame(title, top, unit=unit)]
    for i, value in enumerate(values):
        if value is not None:
            height = value / top * (_H - _BOTTOM - _TOP)
            parts.append(
                f'<rect x="{_LEFT + i * width + 2:.1f}" y="{_H - _BOTTOM - height:.1f}"'
                f' width="{max(width - 4, 1):.1f}" height="{height:.1f}" fill="#2b6cb0">'
                f"<title>{escape(labels[i])}: {value:.1f}{escape(unit)}</title></rect>"
            )
        parts.append(_label(_LEFT + i * width, labels[i]))
    return _svg(title, parts)


def _frame(title: str, top: float, *, unit: str = "") -> str:
    base = _H - _BOTTOM
    return (
        f'<line x1="{_LEFT}" y1="{base}" x2="{_W}" y2="{base}" stroke="#9aa3af"/>'
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base}" stroke="#9aa3af"/>'
        f'<text x="{_LEFT - 4}" y="{_TOP + 10}" text-anchor="end">{top:g}{escape(unit)}</text>'
        f'<text x="{_LEFT - 4}" y="{base}" text-anchor="end">0</text>'
    )


def _label(x: float, text: str) -> str:
    return f'<text x="{x + 2:.1f}" y="{_H - 6}">{escape(text)}</text>'


def _svg(title: str, parts: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {_W} {_H}"'
        f' width="100%" font-size="11" font-family="system-ui,sans-serif" fill="#4a5568">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
