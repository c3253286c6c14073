"""The headers every response carries: a strict Content-Security-Policy (no inline script or
style, nothing from another origin, no framing), ``X-Frame-Options: DENY``,
``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.

Set once for the whole application (:func:`init_app`), so a new page cannot forget them. The
pages are built for it: no inline script or style, the texts a module needs travel in a
``data-`` attribute, fonts and vendor files are served from ``/static``.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",  # the receipt's QR code is drawn into a data: URL
    "connect-src 'self'",  # Socket.IO's websocket to the same host and port
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def secure(response: Response) -> Response:
    """Add :data:`HEADERS` to ``response`` (an ``after_request`` function)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Every response of ``app`` gets :data:`HEADERS`."""
    app.after_request(secure)
