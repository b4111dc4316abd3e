"""The report email's chart: one bar per group (the twelve with most texts), delivered,
failed and the rest, as a PNG.

PNG because mail clients show an inline PNG (Gmail and Outlook do not show inline SVG), and
Pillow because it draws one in a few lines with its own font, where a plotting library
(matplotlib) would bring tens of megabytes for a bar chart. Pillow is imported at the first
chart, not when the bridge starts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bridge.reports.figures import Report
from bridge.reports.render import label

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

__all__ = ["bar_chart"]

WIDTH, ROW, TOP, LEFT, RIGHT = 720, 26, 56, 190, 80
MOST = 12
COLOURS = {"delivered": (46, 139, 87), "failed": (200, 55, 45), "other": (170, 170, 170)}


def bar_chart(report: Report) -> bytes:
    """The PNG's bytes."""
    from PIL import Image, ImageDraw, ImageFont

    groups = report.groups[:MOST]
    height = TOP + ROW * max(1, len(groups)) + 16
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((10, 8), f"Texts by {report.key}: delivered, failed, other", fill="black", font=font)
    _legend(draw, font)
    widest = max((g.accepted for g in groups), default=0) or 1
    scale = (WIDTH - LEFT - RIGHT) / widest
    for row, figures in enumerate(groups):
        y = TOP + row * ROW
        draw.text((10, y + 4), label(report, figures)[:28], fill="black", font=font)
        x = LEFT
        other = figures.accepted - figures.delivered - figures.failed
        for part, count in (
            ("delivered", figures.delivered),
            ("failed", figures.failed),
            ("other", other),
        ):
            width = round(count * scale)
            if width > 0:
                draw.rectangle((x, y + 2, x + width - 1, y + ROW - 6), fill=COLOURS[part])
            x += width
        draw.text((x + 6, y + 4), str(figures.accepted), fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _legend(draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> None:
    x = 10
    for part, colour in COLOURS.items():
        draw.rectangle((x, 32, x + 12, 44), fill=colour)
        draw.text((x + 18, 32), part, fill="black", font=font)
        x += 110
