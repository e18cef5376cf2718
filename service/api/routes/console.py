"""GET /: the coordinators' console, one server-rendered page (Jinja2) and a little plain JavaScript.

Everything it loads is served here (`/console/static/`): no build step, no CDN, fonts from the
system through a font stack. The page is rendered in the browser's language (Accept-Language) or
`?lang=`; its labels come from the message catalogue, and the JavaScript gets the same catalogue
(and the reason phrases) as JSON. All data is fetched from /v1 with the API key the user signs in
with, which the page keeps in sessionStorage only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from enmusubi.service.i18n import LANGUAGES, catalogue, detail_phrases_for_javascript, language_from_accept

router = APIRouter(include_in_schema=False)
STATIC_DIRECTORY = Path(__file__).resolve().parents[1] / "console" / "static"
STATIC_URL = "/console/static"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("enmusubi.service.api", "console/templates"), autoescape=select_autoescape()
    )


def _script_json(value: object) -> Markup:
    """JSON safe inside a <script> element (no `</script>` can close it early)."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)  # escaped above: trusted inside <script type="application/json">


@router.get("/", response_class=HTMLResponse)
def console_page(request: Request, lang: Annotated[str | None, Query(pattern="^(en|ja)$")] = None) -> HTMLResponse:
    """The console in the browser's language (or ?lang=en|ja)."""
    language = lang or language_from_accept(request.headers.get("accept-language"))
    messages = catalogue(language)
    html = (
        _environment()
        .get_template("console.html")
        .render(
            lang=language,
            languages=LANGUAGES,
            m=messages,
            static=STATIC_URL,
            messages_json=_script_json(messages),
            phrases_json=_script_json(detail_phrases_for_javascript() if language != "en" else []),
        )
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Language": language})
