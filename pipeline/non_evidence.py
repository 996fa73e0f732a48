"""Passages that name a topic without evidencing it, found by rule so a reviewer can read why:
statements that a topic is not covered, out of scope or dealt with in a separate plan; national
policy recited with no local action; tables that map the strategy to the WGLL measures or rate its
compliance; contents pages; glossaries; forewords and welcome messages; text garbled by reading a
table's columns across. A tagger trained on wording scores these high (they use the topic's words),
so they are kept out of every verdict, measure and criterion alike, whatever their scores."""

from __future__ import annotations

import re

from pipeline.models import Passage

_NOT_COVERED = re.compile(
    r"\b(?:(?:is|are|was|were|remain|remains)\s+)?(?:not|isn['’]t|aren['’]t)\s+(?:covered|addressed|included|considered|in\s+scope)\b"
    r"|\bout\s*(?:side)?\s*(?:of\s+)?(?:the\s+)?scope\b|\boutside\s+(?:the\s+)?scope\b|\bnot\s+in\s+scope\b"
    r"|\b(?:does|do|will)\s+not\s+(?:cover|address|include)\b"
    r"|\b(?:in|by|within|under)\s+(?:a|its|our|the)\s+(?:own\s+)?separate\s+(?:\w+\s+){0,3}?(?:plan|strategy|document|programme|paper)\b"
    r"|\b(?:set\s+out|described|covered|addressed|published)\s+(?:in|as)\s+(?:a|the)\s+separate\b"
    r"|\bseparate\s+(?:\w+\s+){0,3}?(?:plan|strategy|document)\s+(?:covers|sets\s+out|deals\s+with)\b"
    r"|\bnot\s+repeated\s+(?:here|in\s+this)\b"
    # another named document: "... are addressed in the ICS Digital Delivery Plan"
    r"|\b(?:is|are)\s+(?:set\s+out|addressed|covered|described|dealt\s+with)\s+(?:in|by)\s+(?:the|our|its)\s+"
    r"(?:[\w'’]+\s+){0,8}?(?:plan|strategy|framework|policy)\b"
    r"|\b(?:left|passed|handed)\s+to\s+(?:other|another|separate)\b|\bsits?\s+outside\s+(?:this|the)\b",
    re.IGNORECASE,
)
# A sentence about what national bodies expect or provide; it recites policy unless the
# organisation itself acts in it ("we", "our", "the trust will").
_NATIONAL = re.compile(
    r"(?:\b(?:NHS\s+England|NHSX|the\s+government|DHSC|the\s+Department\s+of\s+Health(?:\s+and\s+Social\s+Care)?"
    r"|(?:the\s+)?(?:NHS\s+)?Long\s+Term\s+Plan|national\s+(?:guidance|policy|policies|ambitions?|expectations?|targets?"
    r"|strateg(?:y|ies)|plans?|direction|standards?|programmes?|bodies))\s+(?:\w+\s+)?"
    r"(?:expects?|requires?|asks?|has\s+asked|sets?\s+out|has\s+set|says|states|calls|wants|aims|mandates?|is|are)\b)"
    r"|\b(?:all|every)\s+NHS\s+(?:organisations?|trusts?|bodies|providers|systems|ICSs?|ICBs?)\s+"
    r"(?:must|should|are\s+expected|are\s+required|is\s+expected|is\s+required|need|have\s+to)\b"
    r"|^\s*Nationally\b",
    re.IGNORECASE,
)
# A section saying what the document covers: any signpost in it is part of a scope statement.
_SCOPE_HEADING = re.compile(
    r"\bscope\b|\bwhat\s+(?:this|the)\s+(?:\w+\s+){0,2}?(?:covers|does\s+not\s+cover|includes)\b"
    r"|\babout\s+this\s+(?:strategy|plan|document|refresh)\b",
    re.IGNORECASE,
)
_LOCAL_ACTOR = re.compile(
    r"\b(?:we|our|us|ours)\b|\bthe\s+(?:trust|ICB|ICS|board|partnership|council|system)\s+(?:will|has|have|is|are)\b",
    re.IGNORECASE,
)
# Words repeated side by side ("See See ... separate separate ... plan plan") are what reading a
# table's cells line by line across its columns leaves: a fragment no reviewer can read as a plan.
_SIDE_BY_SIDE = re.compile(r"\b([A-Za-z]{3,})\s+\1\b", re.IGNORECASE)
GARBLED_REPEATS = 2
_GLOSSARY = re.compile(
    r"\b(?:glossary|abbreviations|acronyms|jargon\s+buster|key\s+terms|(?:terms|words)\s+(?:used|we\s+use)"
    r"|what\s+the\s+words\s+mean)\b",
    re.IGNORECASE,
)
# A glossary table read as text opens with its header row ("Term Meaning ...", "Word What it means ...").
_GLOSSARY_HEADER = re.compile(
    r"^\s*(?:terms?|words?|acronyms?|abbreviations?)\s+(?:meaning|what\s+it\s+means|definition|description)\b",
    re.IGNORECASE,
)
_FRAMEWORK = re.compile(r"\bWhat\s+Good\s+Looks\s+Like\b|\bWGLL\b|\bsuccess\s+measures?\b", re.IGNORECASE)
_MAPPING = re.compile(
    r"\b(?:alignment|map(?:s|ped|ping)?|cross[- ]?referenc\w*|complian\w*)\b|\b(?:section|chapter|page)s?\s+\d",
    re.IGNORECASE,
)
_RATING = re.compile(
    r"\b(?:fully|partially|partly|not)\s+(?:met|compliant|achieved)\b|\bRAG\s+(?:rating|status)\b|\b(?:amber|green|red)\s*[/|]",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
SHORT_LEAD_IN = 4  # words: a fragment this short before a full stop is a heading, not a sentence
_CONTENTS = re.compile(r"^\s*(?:table\s+of\s+)?contents\b", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"(?:\bpage\s+)?\b\d{1,3}\b")
_FOREWORD = re.compile(
    r"^\s*(?:(?:a\s+)?(?:joint\s+)?foreword|preface|(?:a\s+)?(?:welcome|message|introduction|letter)\s+from\b"
    r"|(?:chair|chief\s+executive)['’]?s?\s+(?:introduction|foreword|welcome|message))",
    re.IGNORECASE,
)


def non_evidence_reason(passage: Passage) -> str | None:
    """Why a passage can never be evidence, or None when it may be. The heading counts as much
    as the text: a passage under "Foreword" is part of the foreword. A signpost counts only when
    it opens the passage or makes up most of it: "devices ... managed under a separate
    replacement plan" closing a passage of evidence leaves the evidence standing."""
    text = passage.text
    heading = passage.heading or ""
    if _FOREWORD.match(heading) or _FOREWORD.match(text):
        return "foreword or welcome message"
    if _CONTENTS.match(heading) or (_CONTENTS.match(text) and len(_PAGE_NUMBER.findall(text)) >= 3):
        return "contents"
    if _GLOSSARY.search(heading) or _GLOSSARY.match(text) or _GLOSSARY_HEADER.match(text):
        return "glossary or list of terms"
    if len(_SIDE_BY_SIDE.findall(text)) >= GARBLED_REPEATS:
        return "garbled: a table's columns read across"
    sentences = _sentences(text)
    signposts = [bool(_NOT_COVERED.search(sentence)) for sentence in sentences]
    # a section headed "What this plan does not cover", a signpost under "What this refresh covers",
    # or a passage that opens with or is mostly signposts
    if (
        _NOT_COVERED.search(heading)
        or (_SCOPE_HEADING.search(heading) and any(signposts))
        or (signposts and (signposts[0] or sum(signposts) * 2 > len(signposts) or _half_of_several(signposts)))
    ):
        return "says the topic is not covered, out of scope or in a separate plan"
    recitals = [bool(_NATIONAL.search(s)) and not _LOCAL_ACTOR.search(s) for s in sentences]
    if any(recitals) and all(r or p for r, p in zip(recitals, signposts, strict=True)):
        return "recites national policy with no local action"
    if _FRAMEWORK.search(heading) and (_MAPPING.search(heading) or _RATING.search(text)):
        return "maps the strategy to the WGLL measures or rates its compliance"
    if any(_FRAMEWORK.search(s) and (_MAPPING.search(s) or _RATING.search(s)) for s in sentences):
        return "maps the strategy to the WGLL measures or rates its compliance"
    return None


def _half_of_several(signposts: list[bool]) -> bool:
    """Half the sentences of a passage of three or more are signposts: a scope statement ("This
    strategy covers ... It runs alongside ... X is not covered ... It will be set out in a separate
    plan"). Of two sentences, a signpost after evidence leaves the evidence standing."""
    return len(signposts) >= 3 and sum(signposts) * 2 >= len(signposts)


def _sentences(text: str) -> list[str]:
    """Sentences, a short lead-in ("Out of scope.", "4.6 Cyber security.") joined to the one
    after it, so that a signpost's heading and its statement count as one sentence."""
    pieces = [p for p in _SENTENCE_END.split(text) if p.strip()]
    sentences: list[str] = []
    carry = ""
    for piece in pieces:
        if len(piece.split()) < SHORT_LEAD_IN:
            carry += piece + " "
            continue
        sentences.append(carry + piece)
        carry = ""
    return sentences + ([carry.strip()] if carry.strip() else [])


def non_evidence(passages: list[Passage]) -> dict[str, str]:
    """The passages of a document that are never evidence, by passage id, with the reason."""
    return {p.passage_id: reason for p in passages if (reason := non_evidence_reason(p)) is not None}
