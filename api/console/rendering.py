"""Pages rendered from the Jinja2 templates of ``api/console/templates``, in the viewer's
language, inside the layout (header, navigation by role, language switch, skip link).

Templates are autoescaped and strict: a name a template uses that the page did not pass is
an error at render time (and in the tests), never an empty string on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.console import nav
from api.console.auth import Viewer
from api.console.i18n import LANG_COOKIE, LANG_QUERY, Translator, parse_lang, request_lang
from api.console.paths import STATIC_URL, VENDOR_URL, local_next
from api.console.text import Lang

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # CodeMirror and Swagger UI set element styles from their scripts
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)
"""Every page may load scripts, styles, fonts and images from this server only: a CDN
reference, anywhere, would be blocked by the browser (and fail the console's tests)."""

_environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _static(path: str) -> str:
    return f"{STATIC_URL}/{path}"


def _vendor(path: str) -> str:
    return f"{VENDOR_URL}/{path}"


_environment.globals.update(static_url=_static, vendor_url=_vendor, Lang=Lang)


def page_path(request: Request) -> str:
    """The page's own path and query, without ``lang``: where the language switch returns."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_QUERY]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def switch_url(request: Request, lang: Lang) -> str:
    """The language switch's link to ``lang``, coming back to this page."""
    return "/console/language?" + urlencode({"lang": lang.value, "next": page_path(request)})


def render(
    request: Request,
    template: str,
    viewer: Viewer,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """``template`` in the layout, for ``viewer``, in the request's language. A ``?lang=``
    choice is kept in the cookie, so the next page is in it too.
    """
    lang = request_lang(request)
    t = Translator(lang)
    here = page_path(request)
    values: dict[str, Any] = {
        "request": request,
        "t": t,
        "lang": lang,
        "viewer": viewer,
        "nav_items": nav.items_for(viewer),
        "current_path": request.url.path,
        "here": here,
        "sign_in_url": "/console/sign-in?" + urlencode({"next": local_next(here)}),
        "switch_urls": {other: switch_url(request, other) for other in Lang},
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **(context or {}),
    }
    body = _environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    chosen = parse_lang(request.query_params.get(LANG_QUERY))
    if chosen is not None:
        remember_lang(response, chosen)
    return response


def remember_lang(response: HTMLResponse | Any, lang: Lang) -> None:
    """Keep the language choice in its cookie (not secret: readable, lax)."""
    response.set_cookie(
        LANG_COOKIE, lang.value, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", path="/"
    )
