"""Who wrote a strategy and when, read from its own text when no manifest says: the organisation
level (an ICS or a trust), the integrated care system it belongs to, and the year it starts.

The cover and title decide: "NHS Marlshire Integrated Care Board" makes a system strategy,
"Tamsey Valley Hospitals NHS Foundation Trust" a trust's; a trust's ICS is the system its text
names most often ("... within the shared ambitions of the Wyvern Vale Integrated Care System");
the year is the first year of the range on the cover ("Digital Strategy 2024 to 2028"). What a
manifest gives always wins; each fact records where it came from (``manifest`` or ``text``)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from pipeline.models import Document, SourceInfo

COVER_PAGES = 3  # the cover, the inside cover and the first page of text
_NAME_WORD = r"(?:[A-Z][\w'’\-]*|and|of|upon|on-Sea|the)"
_NAME = rf"([A-Z][\w'’\-]*(?:,?\s+{_NAME_WORD})*?)"
_SYSTEM = re.compile(
    rf"{_NAME}\s+(?:Integrated\s+Care\s+(?:System|Board|Partnership)|ICS|ICB|(Health\s+and\s+Care\s+Partnership)|CCG|"
    r"Clinical\s+Commissioning\s+Group)\b"
)
_TRUST = re.compile(
    rf"{_NAME}\s+(?:University\s+)?(?:Hospitals?\s+|Healthcare\s+|Health\s+|Partnership\s+|Community\s+)?"
    r"(?:NHS\s+)?(?:Foundation\s+)?Trust\b"
)
_TRUST_KIND = re.compile(r"\bNHS\s+(?:Foundation\s+)?Trust\b|\bFoundation\s+Trust\b|\bAmbulance\s+Service\b")
_SYSTEM_KIND = re.compile(
    r"\bIntegrated\s+Care\s+(?:System|Board|Partnership)\b|\b(?:ICS|ICB|CCG)\b|\bHealth\s+and\s+Care\s+Partnership\b"
    r"|\bClinical\s+Commissioning\s+Group\b"
)
# A trust's cover may carry its system's name first ("Part of the Deane Valley ICS"): that names
# whom the trust belongs to, not who wrote the strategy.
_BELONGS_TO = re.compile(
    r"\b(?:part\s+of|member\s+of|within|in\s+partnership\s+with|supporting)\b[^.\n]{0,60}$", re.IGNORECASE
)
# Words a heading or sentence puts before a system's name ("Supporting the ICS platform").
_LEADING = re.compile(
    r"^(?:(?:NHS|The|Our|Across|In|For|With|Welcome|to|Dear|Part|of|and|within|Supporting|Joining|Working|Building"
    r"|Developing|Improving|Connecting|Strengthening|Delivering|Using)\s+)+"
)
_YEAR = r"(20[1-4]\d)"
_RANGE = re.compile(rf"{_YEAR}\s*(?:/\s*\d{{2}}\s*)?(?:-|–|—|to|until)\s*(?:20)?\d{{2}}\b")
_LONE_YEAR = re.compile(rf"\b{_YEAR}\b")
# A refresh is dated by its own year, not by the range of the strategy it refreshes ("Digital
# Strategy Refresh 2025" or "the 2025 refresh", on a cover that also names "our 2022 to 2027 strategy").
_REFRESH_YEAR = re.compile(rf"\brefresh(?:ed)?\s*(?:[:,\-–—]\s*)?{_YEAR}\b|\b{_YEAR}\s+refresh\b", re.IGNORECASE)


class DocumentFacts(BaseModel):
    """The facts a review's ``document`` section reports, each with where it came from."""

    ics: str | None = None
    organisation_level: str | None = None  # "ICS" or "trust", as manifests write it
    year: int | None = None
    ics_source: str | None = None
    level_source: str | None = None
    year_source: str | None = None


def _clean(name: str) -> str:
    """A system's place name: "NHS" starts it, so a list of partners before it is dropped
    ("Harnley Borough Council and NHS Oakmere ICB": "Oakmere")."""
    name = re.split(r"\bNHS\s+", " ".join(name.split()))[-1]
    name = _LEADING.sub("", name).strip(" ,")
    return re.sub(r"\s+(?:and|of|the)$", "", name)


def _systems(text: str) -> list[str]:
    """The systems a text names, in order; a place's health and care partnership counts only
    where no integrated care system or board is named: a place belongs to its ICS."""
    found = [(_clean(m.group(1)), m.group(2) is None) for m in _SYSTEM.finditer(text)]
    named = [(n, whole_system) for n, whole_system in found if n and n[0].isupper()]
    systems = [n for n, whole_system in named if whole_system]
    return systems or [n for n, _ in named]


def _cover(document: Document) -> str:
    return "\n\n".join([document.title or "", *(p.text for p in document.pages[:COVER_PAGES])])


def read_level(document: Document) -> str | None:
    """``trust`` or ``ICS``: the kind of organisation named first on the title and cover page, or
    failing that the kind its first pages name more often."""
    if _TRUST_KIND.search(document.title or ""):
        return "trust"
    first = "\n".join([document.title or "", document.pages[0].text if document.pages else ""])
    trust = _TRUST_KIND.search(first)
    system = next((m for m in _SYSTEM_KIND.finditer(first) if not _BELONGS_TO.search(first[: m.start()])), None)
    if trust or system:
        if trust and (not system or trust.start() < system.start()):
            return "trust"
        return "ICS"
    cover = _cover(document)
    trusts, systems = len(_TRUST_KIND.findall(cover)), len(_SYSTEM_KIND.findall(cover))
    if trusts == systems == 0:
        return None
    return "trust" if trusts > systems else "ICS"


def read_ics(document: Document, level: str | None) -> str | None:
    """The system's place name: for a system strategy the one its cover names, for a trust the
    system its text names most often (never the trust itself)."""
    cover_names = _systems(_cover(document))
    if level != "trust" and cover_names:
        return Counter(cover_names).most_common(1)[0][0]
    names = _systems(document.text)
    if not names:
        return None
    trusts = {_clean(m.group(1)) for m in _TRUST.finditer(_cover(document))}
    counted = Counter(n for n in names if n not in trusts)
    return counted.most_common(1)[0][0] if counted else None


def read_year(document: Document) -> int | None:
    """A refresh's own year ("Digital Strategy Refresh 2025"); else the first year of the period on
    the title or cover ("2023 to 2026", "2023-26", "2023/24 to 2025/26"); else the first year the
    cover names."""
    cover = _cover(document)
    refresh = _REFRESH_YEAR.search(document.title or "") or _REFRESH_YEAR.search(cover)
    if refresh:
        return int(refresh.group(1) or refresh.group(2))
    found = _RANGE.search(document.title or "") or _RANGE.search(cover)
    if found:
        return int(found.group(1))
    lone = _LONE_YEAR.search(cover)
    return int(lone.group(1)) if lone else None


def document_facts(document: Document) -> DocumentFacts:
    """The manifest's facts where it gives them, the text's otherwise."""
    given: SourceInfo = document.source
    level = given.organisation_level or read_level(document)
    ics = given.ics or read_ics(document, _level_kind(level))
    year = given.year or read_year(document)

    def source(manifest_value: object, value: object) -> str | None:
        return "manifest" if manifest_value else ("text" if value else None)

    return DocumentFacts(
        ics=ics,
        organisation_level=level,
        year=year,
        ics_source=source(given.ics, ics),
        level_source=source(given.organisation_level, level),
        year_source=source(given.year, year),
    )


ORG_WORDS = frozenset({"trust", "org", "organisation", "organization", "provider"})
ICS_WORDS = frozenset({"ics", "icb", "system", "place"})


def _level_kind(level: str | None) -> str | None:
    if level is None:
        return None
    return "trust" if level.strip().lower() in ORG_WORDS else "ICS"


def criteria_level(organisation_level: str | None) -> Literal["ICS", "ORG"] | None:
    """The criteria level a document answers to, from a manifest's or the text's word for it."""
    word = (organisation_level or "").strip().lower()
    return "ORG" if word in ORG_WORDS else "ICS" if word in ICS_WORDS else None
