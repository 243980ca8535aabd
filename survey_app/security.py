"""Security headers on every response, and the reverse-proxy set-up for production."""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# The pages use no inline script or style, so nothing but our own stylesheet, our
# one enhancement script, images and form posts is allowed; frame-ancestors stops
# the survey being framed.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Link tokens and survey addresses must never leak to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages may show someone's answers: on a shared device the next person
        # must not get them back from the cache with the Back button.
        response.headers["Cache-Control"] = "no-store"
    return response


def add_transport_security(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)
    if app.config.get("PRODUCTION"):
        app.after_request(add_transport_security)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        # Behind N proxies, take the client address (for the fingerprint and rate
        # limit) and scheme from the headers those proxies set, and no further back.
        # The host is not taken from X-Forwarded-Host: a client can send one, and printed
        # links use PUBLIC_BASE_URL anyway.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
