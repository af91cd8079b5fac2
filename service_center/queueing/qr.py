"""QR codes as inline SVG (segno), served by the app itself."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str, *, scale: int = 4, title: str | None = None) -> str:
    """Return an SVG document of a QR code for ``data`` (no XML declaration, for inlining)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        title=title,
        nl=False,
        omitsize=True,
    )
    return buffer.getvalue().decode()
