"""Passages that name a topic without evidencing it are kept out of every verdict, by rule;
evidence that merely mentions a separate plan or the framework in passing is kept."""

import pytest

from pipeline.models import Passage
from pipeline.non_evidence import non_evidence, non_evidence_reason


def _passage(text: str, heading: str | None = None, ordinal: int = 0) -> Passage:
    return Passage(
        passage_id=f"d-{ordinal}",
        document_id="d",
        ordinal=ordinal,
        text=text,
        heading=heading,
        pages=[ordinal + 1],
        start_char=0,
        end_char=len(text),
    )


@pytest.mark.parametrize(
    ("text", "heading", "reason"),
    [
        (
            "Healthy populations: not covered in this strategy. Population health analytics will be addressed once the "
            "ICB's intelligence function is established.",
            "Appendix 3 Mapping to What Good Looks Like",
            "not covered",
        ),
        (
            "Cyber security. Our approach to cyber resilience is set out in a separate Cyber Security Plan approved by "
            "the Audit Committee and is not repeated here.",
            None,
            "not covered",
        ),
        (
            "Research and innovation are outside the scope of this document and will be described in the Trust's "
            "research strategy, due in 2025.",
            "1.3 Scope",
            "not covered",
        ),
        (
            "Well led | Sections 2, 7 | Partially met. Ensure smart foundations | Section 3 | Met. Safe practice | "
            "Section 4 | Met.",
            "Appendix B: What Good Looks Like compliance",
            "WGLL",
        ),
        (
            "Each of our eleven commitments has been mapped to the What Good Looks Like success measure it contributes "
            "to, as the table in Annex A shows.",
            None,
            "WGLL",
        ),
        ("Contents 1 Foreword 3 2 Where we are now 5 3 Our priorities 9 4 Delivery 21", None, "contents"),
        (
            "When I qualified as a district nurse in Harbury, records lived in a car boot. I am proud of how far our "
            "teams have come, and of the single electronic record every community team now shares.",
            "Foreword from our Chair",
            "foreword",
        ),
        (
            "A message from our Chief Executive. Technology only matters when it gives our people time back with "
            "patients.",
            None,
            "foreword",
        ),
        (
            "Term Meaning DSPT Data Security and Protection Toolkit, the annual self-assessment SIRO Senior "
            "Information Risk Owner Virtual ward Hospital-level care given at home",
            "14 Appendix C: Glossary",
            "glossary",
        ),
        (
            "Abbreviations used in this strategy: EPR electronic patient record; PHM population health management.",
            None,
            "glossary",
        ),
        (
            "Every NHS organisation must submit the Data Security and Protection Toolkit each year, and national "
            "guidance expects clinical systems to meet DCB0129 and DCB0160. Nationally, the NHS App is gaining new "
            "features every quarter.",
            "3 The national context",
            "national policy",
        ),
        (
            "NHS England expects each project to follow the Technology Code of Practice. The carbon cost of our "
            "devices is addressed in the Trust Green Plan and is not repeated here.",
            None,
            "national policy",
        ),
        (
            "Support for patients who do not go online is set out in the Trust's Patient Experience Strategy 2024 "
            "to 2027.",
            None,
            "not covered",
        ),
        (
            "Funding, governance and monitoring of delivery are addressed in the ICS Digital Delivery Plan, which "
            "partners approve each spring. This strategy sets the direction only.",
            None,
            "not covered",
        ),
        (
            "This plan covers the systems our staff use in hospital between 2024 and 2027. It sits beside our "
            "Clinical Strategy and our People Plan. Research data and population health analytics are not covered "
            "here. They will be set out in a separate Intelligence Plan in 2025.",
            "1.2 Scope of this strategy",
            "not covered",
        ),
        (
            "This refresh covers the services the trust runs for its own staff. Some topics are deliberately left to "
            "other documents: \u2022 Patient-facing services are set out in a separate Patient Access Plan. "
            "\u2022 Population health is led by the ICB and sits outside this refresh. \u2022 Research is covered by "
            "the trust's Research Strategy 2023 to 2028.",
            None,
            "not covered",
        ),
        (
            "Keeping systems and information safe matters to everyone. Cyber security and the clinical safety of our "
            "tools are the subject of the ICB's own assurance plan.",
            "3.2 What this plan does not cover",
            "not covered",
        ),
        (
            "This is a refresh of the 2021 plan, not a new one. We have not consulted again; the digital team reset "
            "the priorities from partners' returns. Staff devices and the service desk are covered by the People "
            "Plan. Analytics and research data are addressed in the separate Intelligence Strategy 2024 to 2027.",
            "1.2 What this refresh covers",
            "not covered",
        ),
        (
            "Word What it means Clinical safety officer A clinician trained to check that a digital system is safe "
            "Cyber Protecting computer systems from attack",
            "Appendix B: Words we use",
            "glossary",
        ),
        ("Term Meaning PIFU Patient-initiated follow-up SDE Secure data environment", "Appendix 4", "glossary"),
        (
            "Cyber See See Assessed security and separate separate in the clinical plan plan Group safety Cyber and "
            "Information Assurance Plan",
            "2.2 Digital maturity",
            "garbled",
        ),
    ],
)
def test_statements_that_are_never_evidence_are_named_with_a_reason(
    text: str, heading: str | None, reason: str
) -> None:
    found = non_evidence_reason(_passage(text, heading))
    assert found is not None and (reason.lower() in found.lower() or reason == "not covered" and "scope" in found)


@pytest.mark.parametrize(
    "text",
    [
        # evidence that mentions a separate plan at its end
        "Every laptop now runs endpoint detection and response, and local administrator rights have been removed. "
        "Medical devices that cannot be patched are isolated and replaced under a separate plan agreed with clinical "
        "engineering.",
        # evidence that names the framework without mapping anything to it
        "The Board approved the refreshed digital strategy in May, built around What Good Looks Like, and the Chief "
        "Digital Officer became a voting member of the Board in September.",
        # a plan whose words resemble a signpost
        "We will publish the carbon footprint of our data centres each year and retire the last on-site servers by "
        "2026.",
        "Community nurses will see hospital discharge summaries in their mobile record from spring 2025.",
        # local action that uses national services or follows national guidance
        "All trust email runs on NHSmail with its national filtering, and staff report suspicious messages through "
        "the national phishing service.",
        "Each partner confirms within two days whether a high-severity national alert affects it; in 2024 the median "
        "was 19 hours.",
        "Following national guidance, we will assess every new app against DTAC before it is offered to patients.",
        "NHS England funded our new theatre system, which went live on both sites in March.",
    ],
)
def test_evidence_that_only_resembles_a_signpost_stands(text: str) -> None:
    assert non_evidence_reason(_passage(text, "4 Our priorities")) is None


def test_a_scope_section_without_a_signpost_stays_evidence() -> None:
    """A heading about scope sets a passage aside only with a signpost in it: a scope section
    that lists what the strategy commits to is read like any other."""
    text = (
        "This strategy covers the trust's electronic patient record, its network and the devices staff use. By "
        "March 2026 every ward will record observations electronically at the bedside."
    )
    assert non_evidence_reason(_passage(text, "1.3 Scope of this strategy")) is None


def test_non_evidence_lists_a_document_s_set_aside_passages_by_id() -> None:
    passages = [
        _passage(
            "Foreword. We are delighted to share our first digital strategy with residents and partners.", None, 0
        ),
        _passage("A shared care record will be live in every practice by March 2025.", "3 One record", 1),
    ]
    assert list(non_evidence(passages)) == ["d-0"]
