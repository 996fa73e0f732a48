"""The one Jinja2 environment every HTML output renders with: autoescaping on, because the text
comes from untrusted PDFs, and strict about undefined names, so a template typo fails loudly."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


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
    environment.filters["page_ranges"] = page_ranges
    environment.filters["css_string"] = css_string
    return environment


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string for a stylesheet (the pack's footer carries the strategy's
    title, which comes from the PDF): every character but letters, digits and spaces is a hex
    escape (CSS consumes the space that ends each), so nothing in it can end the string, the rule
    or the style element."""
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):06x} " for char in text
    )
    return Markup(f'"{escaped}"')


def page_ranges(numbers: Iterable[int]) -> str:
    """Page numbers as short ranges: [1, 2, 3, 5, 7, 8] -> "1-3, 5, 7-8", so a 400-page list stays short."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
