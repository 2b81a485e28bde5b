"""Ticket codes as QR codes: inline SVG for pages, PNG bytes for emails (segno)."""

import io

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _qr(code: str) -> segno.QRCode:
    # Medium error correction survives a scratched phone screen or a folded print-out.
    return segno.make(code, error="m", micro=False)


def ticket_qr_svg(code: str) -> SafeString:
    """An <svg> element that scales with CSS (viewBox, no fixed size), labelled for screen readers."""
    svg = _qr(code).svg_inline(
        scale=4, border=2, omitsize=True, svgclass="qr", light="#fff", title=f"Ticket {code}"
    )
    # segno escapes the title; the rest is its own markup built from a URL-safe code.
    return format_html(
        '<span role="img" aria-label="QR code for ticket {}">{}</span>',
        code,
        mark_safe(svg),  # noqa: S308
    )


def ticket_qr_png(code: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
