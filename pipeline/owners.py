"""Who a commitment names to deliver it: the body or role that is the subject of the committing
clause ("WVP will replace ...", "During 2022 the Digital Programme Board will ..."), the agent of
a passive one ("will be agreed by the DTB") or the body a piece of work is "led by". Rule-based,
without a parser: the subject is the noun phrase just before the verb, and it counts only when
its head noun names an organisation or a role (docs/commitments.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping

VERB = re.compile(
    r"\b(?:will|shall|(?:has|have)\s+(?:also\s+)?(?:committed|agreed)|commits|(?:is|are)\s+planned)\b", re.IGNORECASE
)
DETERMINERS = {
    "the",
    "each",
    "every",
    "all",
    "our",
    "a",
    "an",
    "both",
    "any",
    "its",
    "their",
    "this",
    "these",
    "those",
    "no",
    "neither",
}
PREPOSITIONS = {
    "in",
    "of",
    "for",
    "to",
    "across",
    "at",
    "on",
    "with",
    "from",
    "within",
    "between",
    "under",
    "into",
    "by",
    "and",
    "or",
}
PRONOUNS = {"we", "it", "they", "this", "these", "that", "which", "who", "you", "i", "he", "she", "there", "us"}
# Head nouns that name an organisation or a role.
BODIES = {
    "board",
    "group",
    "team",
    "partner",
    "partnership",
    "trust",
    "council",
    "committee",
    "network",
    "authority",
    "office",
    "officer",
    "director",
    "lead",
    "unit",
    "collaborative",
    "panel",
    "alliance",
    "guardian",
    "forum",
    "academy",
    "executive",
    "chair",
    "owner",
    "commissioner",
    "provider",
    "ccg",
    "icb",
    "icp",
    "ccio",
    "cnio",
    "cdio",
    "cio",
    "cco",
    "sro",
    "siro",
    "healthwatch",
    "leader",
    "manager",
    "secretariat",
    "association",
    "federation",
    "directorate",
    "department",
    "pcn",
}
# The last word of an acronym's expansion that makes it an organisation ("... NHS Trust (SGH)").
ORGANISATION_ENDINGS = BODIES | {"services", "hospitals", "ics", "nhs"}
# Acronyms of things or of the whole service, never the body that owns a commitment.
NEVER_OWNERS = {"NHS", "GP", "GPs", "IT", "AI", "EPR", "EPRs", "ICT", "MFA", "HSCN", "FHIR", "DSPT", "VCSE", "PCNs"}
# Heads of proper names that name a thing ("the Vale Connected Record"), not a body.
THINGS = {"record", "app", "portal", "platform", "system", "programme", "plan", "strategy"}
ACRONYM = re.compile(r"^[A-Z][A-Za-z]*[A-Z]s?$")


def acronym_expansions(text: str) -> dict[str, str]:
    """Acronyms the document spells out ("Wyvern Vale Care Record (WVCR)") with their last word,
    so an acronym naming a thing, not a body, is not taken for an owner."""
    found: dict[str, str] = {}
    for match in re.finditer(r"((?:[A-Z][\w'&-]*\s+(?:and\s+|of\s+|for\s+)?){1,8})\(([A-Z]{2,7})\)", text):
        found.setdefault(match.group(2), match.group(1).split()[-1].lower())
    return found


def _singular(word: str) -> str:
    word = word.lower().strip("'’")
    return word[:-1] if word.endswith("s") and not word.endswith(("ss", "ics")) and word[:-1] in BODIES else word


def is_acronym_body(word: str, expansions: Mapping[str, str]) -> bool:
    """An acronym naming an organisation: spelt out as one in the document, or not spelt out at all."""
    word = word.strip(".,;:'’")
    if not (ACRONYM.match(word) and word.upper() == word.rstrip("s").upper() and len(word) <= 7):
        return False
    if word in NEVER_OWNERS:
        return False
    return expansions.get(word.rstrip("s"), "trust") in ORGANISATION_ENDINGS


def _is_body(phrase: str, expansions: Mapping[str, str]) -> bool:
    """Whether a noun phrase names an organisation or a role: its head noun (the word before a
    prepositional phrase), for each part of a coordination ("the trusts and the ICB")."""
    words = phrase.split()
    cut = next((i for i, w in enumerate(words) if w.lower() in PREPOSITIONS - {"and", "or"} and i > 0), len(words))
    for part in re.split(r",\s*|\s+and\s+|\s+or\s+", " ".join(words[:cut])):
        head_words = part.split()
        if not head_words:
            continue
        head = head_words[-1].strip(".,;:'’")
        if _singular(head) in BODIES:
            return True
        if ACRONYM.match(head):
            if is_acronym_body(head, expansions):
                return True
            continue
        if len(head_words) >= 2 and all(w[:1].isupper() for w in head_words if w.lower() not in DETERMINERS):
            return head.lower() not in THINGS
    return False


def _subject(prefix: str) -> str:
    """The noun phrase that ends ``prefix`` (the words before the verb), without leading
    adverbials ("During 2022 the Digital Programme Board" -> "the Digital Programme Board")."""
    segments = [s.strip() for s in prefix.split(",")]
    text = segments[-1] if segments[-1] else segments[0]  # "The plan, due in 2022, will" -> "The plan"
    words = text.split()
    if not words or words[-1].lower() in PRONOUNS:
        return ""
    start = len(words)
    while start > 0:
        word = words[start - 1]
        if re.fullmatch(r"\d[\d/,.-]*|20\d\d\S*", word) or word.lower() in {"then", "also", "so"}:
            break
        start -= 1
        if word.lower() in DETERMINERS:
            before = words[start - 1].lower() if start > 0 else ""
            if before not in PREPOSITIONS:
                break
    subject = words[start:]
    return "" if subject and subject[0].lower() in {"no", "neither"} else " ".join(subject)


def _clean(phrase: str) -> str:
    words = phrase.strip(" .,;:").split()
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    return " ".join(words)


def find_owner(clause: str, expansions: Mapping[str, str] | None = None) -> str | None:
    """The body or role ``clause`` names to deliver its commitment, or None ("we", a thing)."""
    expansions = expansions or {}
    verb = VERB.search(clause)
    if verb:
        subject = _subject(clause[: verb.start()])
        if subject and subject.split()[0].lower() not in PRONOUNS and _is_body(subject, expansions):
            return _clean(subject)
    agent = re.search(
        r"\b(?:(?:be|been)\s+(?:\w+ed|run|led|set|held|made|done)\b[^,;.]{0,60}?|(?:co-)?led(?:\s+jointly)?)\s+by\s+"
        r"(?!(?:the\s+)?(?:end|start|20\d\d)\b)([^,;.:()]+)",
        clause,
        re.IGNORECASE,
    )
    if agent and not re.match(r"\s*(?:\w+\s+)?20\d\d", agent.group(1)):
        phrase = re.split(r"\s+(?:by|before|within|each|every|once|so|as|to|from|in|that|which|who)\s", agent.group(1))[
            0
        ]
        if _is_body(phrase, expansions):
            return _clean(phrase)
    return None
