"""The one Jinja2 environment every HTML output renders with: autoescaping on, because the text
comes from untrusted PDFs, and strict about undefined names, so a template typo fails loudly."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=1)
def html_templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["status_label"] = lambda status: status.replace("_", " ").capitalize()
    return environment
