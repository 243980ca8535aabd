"""QR codes for survey links, as SVG (for print at any size) and PNG (for documents and email)."""
from __future__ import annotations

import io

import segno

# Level Q survives about a quarter of the code being scuffed or torn, as posters are.
ERROR_CORRECTION = "q"
QUIET_ZONE = 4  # modules of white border that scanners need


def _code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR_CORRECTION, boost_error=False)


def qr_svg(url: str, title: str) -> bytes:
    buffer = io.BytesIO()
    # A unitless size and a viewBox let the page or poster scale the code without blurring.
    _code(url).save(buffer, kind="svg", scale=10, border=QUIET_ZONE, title=title, unit=None,
                    svgclass="qr-code", lineclass=None, omitsize=True, light="#fff")
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=16, border=QUIET_ZONE)
    return buffer.getvalue()
