"""Deadlines written in strategy prose ("by March 2025", "in 2024/25", "within two years") turned
into ISO dates or periods, so commitments can be sorted, compared and called past due. The
conventions are those of docs/commitments.md: a month means its last day, a financial year is
written ``2024/25`` and ends on 31 March, a range means its end, a relative period is resolved
against the document's year, and two due dates agree when their periods end on the same day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
NUMBER_WORDS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
    "twenty-four": 24,
    "thirty-six": 36,
}
NUMBER = r"\d{1,2}|" + "|".join(NUMBER_WORDS)
SEASON_ENDS = {"spring": (5, 31), "summer": (8, 31), "autumn": (11, 30), "fall": (11, 30)}
PART_ENDS = {"early": (4, 30), "mid": (8, 31), "late": (12, 31)}
QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "final": 4, "last": 4}

# Words just before a date that make it a date of the past or a reference point, not a deadline.
NOT_A_DEADLINE = re.compile(
    r"(?:\bsince(?:\s+\w+ing)?(?:\s+(?:in|on|during))?|\bbaseline|\bas (?:of|at)|\bcompared (?:with|to)|\bposition in"
    r"|\b(?:was|were|had|did)\b(?:\s+\w+){0,3}\s+(?:in|on|during|between)"
    r"|\b(?:began|went|came|ran|grew|built|took|made|saw|held|met|drew|won|became|told|found|brought|sent|spent)\b"
    r"(?:\s+\w+){0,2}\s+(?:in|on|during|between)"
    r"|\b\w+ed(?:\s+(?:work|live|up|out|off))?\s+(?:in|on|during|between))\s*(?:the\s+)?$",
    re.IGNORECASE,
)
# -ed words that look forward, not back ("is planned for April 2026").
FORWARD_PARTICIPLES = {
    "planned",
    "scheduled",
    "expected",
    "intended",
    "aimed",
    "targeted",
    "needed",
    "required",
    "proposed",
    "committed",
    "timed",
    "due",
    "extended",
    "phased",
}


@dataclass(frozen=True)
class DueDate:
    """One deadline found in a text: its normal form, the day its period ends, and where it sits."""

    value: str
    end: date
    start: int
    stop: int


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def period_end(value: str | None) -> date | None:
    """The last day of a due value (``2025-03-31``, ``2024`` or ``2024/25``); None when it has none."""
    if not value:
        return None
    if match := re.fullmatch(r"(20\d\d)-(\d\d)-(\d\d)", value):
        return date(*map(int, match.groups()))
    if match := re.fullmatch(r"(20\d\d)/(\d\d)", value):
        return date(int(match.group(1)) + 1, 3, 31)
    if match := re.fullmatch(r"(20\d\d)", value):
        return date(int(match.group(1)), 12, 31)
    raise ValueError(f"not a due date: {value!r}")


def same_due(first: str | None, second: str | None) -> bool:
    """Whether two due values name the same deadline (their periods end on the same day)."""
    return period_end(first) == period_end(second)


def _relative(count: str, unit: str, year: int | None) -> str | None:
    if year is None:
        return None
    number = int(count) if count.isdigit() else NUMBER_WORDS.get(count.lower(), 1 if count.lower() == "next" else None)
    if number is None:
        return None
    years = -(-number // 12) if unit.lower().startswith("month") else number
    return str(year + years)


def _value(kind: str, g: dict[str, Any], year: int | None, strategy_end: int | None) -> str | None:
    """The due value of one pattern's match, from its named groups (each kind's pattern sets the
    groups read here); None when it cannot be resolved."""
    if kind == "strategy":
        return str(strategy_end) if strategy_end else None
    if kind == "relative":
        return _relative(g["count"] or "one", g["unit"], year)
    if kind == "end_fy":
        return _month_end(int(g["y"]) + 1, 3).isoformat()
    if kind == "fy":
        first, second = int(g["y"]), g["y2"]
        return _fy(first) if int(second[-2:]) == (first + 1) % 100 else f"20{second[-2:]}"
    if kind == "fy_quarter":
        first, quarter = int(g["y"]), int(g["q"])
        month = 3 * quarter + 3
        return _month_end(first + (month > 12), (month - 1) % 12 + 1).isoformat()
    if kind == "quarter":
        quarter = int(g["q"]) if g["q"].isdigit() else QUARTER_WORDS[g["q"].lower()]
        return _month_end(int(g["y"]), 3 * quarter).isoformat()
    if kind == "half":
        return _month_end(int(g["y"]), 6 if g["h"].lower() in ("first", "1") else 12).isoformat()
    if kind == "season":
        season, y = g["s"].lower(), int(g["y"])
        if season == "winter":
            return _month_end(y + 1, 2).isoformat()
        return date(y, *SEASON_ENDS[season]).isoformat()
    if kind == "part":
        return date(int(g["y"]), *PART_ENDS[g["p"].lower()]).isoformat()
    if kind == "day":
        return date(int(g["y"]), MONTHS[g["m"].lower().rstrip(".")], int(g["d"])).isoformat()
    if kind == "month":
        return _month_end(int(g["y"]), MONTHS[g["m"].lower().rstrip(".")]).isoformat()
    if kind == "between":
        return _month_end(int(g["y"]), MONTHS[g["m"].lower().rstrip(".")]).isoformat() if g["m"] else g["y"]
    if kind == "range":
        return g["y2"]
    if kind == "end_year":
        return f"{g['y']}-12-31"
    return g["y"]


# Most specific first: a span taken by one pattern is not read again by a later one.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in [
        (
            "strategy",
            r"\b(?:life(?:time)?|end|course|duration|lifespan)\s+of\s+(?:this|the|our)\s+(?:\w+\s+){0,3}?"
            r"(?:strategy|plan)\b",
        ),
        (
            "relative",
            r"\b(?:within|in|over|during)\s+(?:the\s+)?(?:next|coming|first)\s+(?:(?P<count>" + NUMBER + r")\s+)?"
            r"(?P<unit>years?|months?)\b(?!\s+of\b)",
        ),
        (
            "relative",
            r"(?<!\bfor\s)\b(?:within|over)\s+(?P<count>" + NUMBER + r")\s+(?P<unit>years?|months?)\b(?!\s+of\b)",
        ),
        ("relative", r"\b(?P<count>next)\s+(?P<unit>year)\b(?!\s+of\b)"),
        (
            "between",
            r"\bbetween\s+(?:" + MONTH + r"\s+)?(?:20\d\d\s+)?and\s+(?:(?P<m>" + MONTH + r")\s+)?"
            r"(?P<y>20\d\d)\b(?![/\d])",
        ),
        (
            "end_fy",
            r"\bend\s+of\s+(?:the\s+)?(?:financial\s+year\s+)?(?:FY\s?)?(?P<y>20\d\d)\s?[/–-]\s?(?:20)?"
            r"(?P<y2>\d\d)(?!\d)",
        ),
        ("fy_quarter", r"\bQ(?P<q>[1-4])\s+(?:of\s+)?(?:FY\s?)?(?P<y>20\d\d)\s?/\s?(?:20)?\d\d(?!\d)"),
        (
            "quarter",
            r"\b(?:Q(?P<q>[1-4])|(?P<qw>first|second|third|fourth|final|last)\s+quarter\s+of)\s+"
            r"(?P<y>20\d\d)(?![/\d])",
        ),
        ("fy", r"(?<![\w./£$,-])(?:FY\s?)?(?P<y>20\d\d)\s?[/–-]\s?(?P<y2>(?:20)?\d\d)(?![\d%]|-\d)"),
        ("half", r"\b(?:(?P<h>first|second)\s+half\s+of|H(?P<h2>[12]))\s+(?P<y>20\d\d)\b"),
        ("season", r"\b(?P<s>spring|summer|autumn|fall|winter)\s+(?:of\s+)?(?P<y>20\d\d)\b"),
        ("part", r"\b(?P<p>early|mid|late)[\s-]+(?P<y>20\d\d)\b"),
        ("day", r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m>" + MONTH + r")\s+(?P<y>20\d\d)\b"),
        ("month", r"\b(?P<m>" + MONTH + r")\s+(?:of\s+)?(?P<y>20\d\d)\b"),
        ("range", r"(?<![\w./£$,-])(?P<y>20\d\d)\s+(?:to|until|through|and)\s+(?P<y2>20\d\d)(?![\d/%])"),
        ("end_year", r"\bend\s+of\s+(?P<y>20\d\d)\b(?![/\d])"),
        # A bare year, not part of "2,024", "£2024", "2024a" or a version number.
        ("year", r"(?<![\w./£$,-])(?P<y>20\d\d)(?![\w%/]|[.,]\d)"),
    ]
]


def _is_reference(text: str, start: int) -> bool:
    """A date that names a past event or a baseline ("went live in April 2021", "since 2019")."""
    before = text[max(0, start - 60) : start]
    found = NOT_A_DEADLINE.search(before)
    if not found:
        return False
    words = re.findall(r"[A-Za-z]+", found.group(0))
    participle = next((w for w in words if w.lower().endswith("ed")), None)
    if participle and participle.lower() in FORWARD_PARTICIPLES:
        return False
    if participle and re.search(r"\b(?:is|are|be|been|being|will|to)\s+(?:\w+\s+)?" + participle + r"\b", before, re.I):
        return False  # "will be completed by March 2025" looks forward
    return True


def find_due_dates(text: str, year: int | None = None, strategy_end: int | None = None) -> list[DueDate]:
    """Every deadline in ``text`` in reading order. Dates ending before the document's ``year``
    and dates of past events or baselines are left out; relative periods ("within two years")
    need ``year``, "over the life of this strategy" needs ``strategy_end``."""
    taken: list[tuple[int, int]] = []
    found: list[DueDate] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, stop = match.span()
            if any(start < t_stop and t_start < stop for t_start, t_stop in taken):
                continue
            groups = match.groupdict()
            if kind == "quarter" and groups.get("qw"):
                groups["q"] = groups["qw"]
            if kind == "half" and groups.get("h2"):
                groups["h"] = "first" if groups["h2"] == "1" else "second"
            value = _value(kind, groups, year, strategy_end)
            taken.append((start, stop))
            if value is None or _is_reference(text, start):
                continue
            end = period_end(value)
            if end is None or (year is not None and end < date(year, 1, 1)):
                continue
            found.append(DueDate(value, end, start, stop))
    return sorted(found, key=lambda due: due.start)


def earliest_due(text: str, year: int | None = None, strategy_end: int | None = None) -> DueDate | None:
    """The first deadline to fall due in ``text`` (earliest end; the first written on a tie)."""
    dates = find_due_dates(text, year, strategy_end)
    return min(dates, key=lambda due: (due.end, due.start)) if dates else None


def opening_year(text: str, opening: int = 1500) -> int | None:
    """The latest year named in a document's opening (its cover's date, "Published March 2024"),
    for documents whose manifest gives no year; None when the opening names none."""
    years = [int(y) for y in re.findall(r"(?<![\d.,£$])(20\d\d)(?![\d%])", text[:opening])]
    return max(years) if years else None


def strategy_period(text: str) -> tuple[int, int] | None:
    """The years a strategy covers, from its opening text ("Digital Strategy 2024 to 2027",
    "strategy, 2021 to 2024", "Strategy 2021-24"); None when the opening names no such span."""
    match = re.search(
        r"\b(?:strategy|plan)\b[^.\n]{0,40}?\b(20\d\d)\s*(?:to|until|-|–)\s*((?:20)?\d\d)\b", text[:3000], re.IGNORECASE
    )
    if not match:
        return None
    first, last = int(match.group(1)), match.group(2)
    end = int(last) if len(last) == 4 else int(match.group(1)[:2] + last)
    return (first, end) if first <= end <= first + 15 else None
