import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.evaluate import score_gaps, score_predictions
from pipeline.labels import read_labelled
from pipeline.model_card import load_tagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

SMALL = [
    {"text": "All four trusts will hold Cyber Essentials Plus and pass the DSPT by March 2026.", "measures": ["M3"]},
    {"text": "We will replace the wide area network and close both on-site data centres.", "measures": ["M2"]},
    {"text": "Residents will see their care plans and book appointments in the NHS App.", "measures": ["M5"]},
    {"text": "A 90-bed virtual ward will monitor patients with heart failure at home.", "measures": ["M6"]},
    {"text": "Every nurse gets a mobile device and single sign-on, ending ten log-ins a shift.", "measures": ["M4"]},
    {"text": "Thank you to everyone who gave their time to help us write this document.", "measures": []},
]


def test_scores_by_hand() -> None:
    y_true = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    y_pred = np.array([[1, 1], [0, 1], [0, 1], [1, 0]])
    report = score_predictions(y_true, y_pred, ["A", "B"])
    # A: tp=1 fp=1 fn=1; B: tp=2 fp=1 fn=0
    assert report.per_measure["A"].model_dump() == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert report.per_measure["B"].precision == round(2 / 3, 4) and report.per_measure["B"].recall == 1.0
    assert report.per_measure["B"].f1 == 0.8
    assert report.macro_f1 == 0.65
    assert report.micro_f1 == round(2 * 3 / (2 * 3 + 2 + 1), 4)


def test_gap_scores_by_hand() -> None:
    flags = {"a.pdf": {"M3", "M7"}, "b.pdf": {"M4"}}
    absent = {"a.pdf": {"M3"}, "b.pdf": {"M4", "M6"}}
    report = score_gaps(flags, absent, ["M3", "M4", "M6", "M7"])
    assert report.per_measure["M7"].precision == 0.0 and report.per_measure["M6"].recall == 0.0
    assert report.precision == round(2 / 3, 4) and report.recall == round(2 / 3, 4)


def _evaluate_json(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What `wgll evaluate --passages FILE --json` prints for these labelled rows."""
    path = tmp_path / "passages.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = CliRunner().invoke(app, ["evaluate", "--passages", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_cli_evaluate_json_matches_a_count_by_hand(tmp_path: Path) -> None:
    printed = _evaluate_json(tmp_path, SMALL)

    settings = Settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    tagger, _ = load_tagger(settings.tagger_path, taxonomy, settings)
    predicted = tagger.predict([row["text"] for row in SMALL])
    assert printed["n"] == len(SMALL)
    for j, measure in enumerate(taxonomy.measure_ids):
        tp = sum(1 for row, p in zip(SMALL, predicted, strict=False) if measure in row["measures"] and p[j])
        fp = sum(1 for row, p in zip(SMALL, predicted, strict=False) if measure not in row["measures"] and p[j])
        fn = sum(1 for row, p in zip(SMALL, predicted, strict=False) if measure in row["measures"] and not p[j])
        expected_f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        assert printed["per_measure"][measure]["f1"] == round(expected_f1, 4), measure
        assert printed["per_measure"][measure]["support"] == tp + fn
    negatives = [p for row, p in zip(SMALL, predicted, strict=False) if not row["measures"]]
    assert printed["negatives"] == len(negatives)
    assert printed["negatives_tagged"] == sum(1 for p in negatives if p.any())
    assert sum(b["n"] for b in printed["calibration"]["reliability"]) == len(SMALL) * len(taxonomy.measure_ids)


def test_unknown_measure_in_a_labelled_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(SMALL[0]) + "\n" + json.dumps({"text": "x", "measures": ["M9"]}) + "\n")
    with pytest.raises(ValueError, match=r"line 2: unknown measure"):
        read_labelled(path)


def test_training_on_too_few_passages_says_so(tmp_path: Path) -> None:
    from pipeline.train import fit_tagger

    settings = Settings()
    labelled = read_labelled(settings.labels_path)[:40]
    with pytest.raises(ValueError, match="too few labelled passages"):
        fit_tagger(labelled, load_taxonomy(settings.taxonomy_path), settings)


WITH_CRITERIA = [
    {
        "text": "Every partner met the Data Security and Protection Toolkit standards this year, and a shared security "
        "operations centre now watches all of our networks around the clock.",
        "measures": ["M3"],
        "criteria": ["M3.ICS.3", "M3.ICS.1"],
    },
    {
        "text": "The trust will report the carbon footprint of its servers and devices each year as part of its Green "
        "Plan, and recycle every retired laptop.",
        "measures": ["M2"],
        "criteria": ["M2.ORG.2"],
    },
    {
        "text": "A 90-bed virtual ward will monitor patients with heart failure at home.",
        "measures": ["M6"],
        "criteria": ["M6.ORG.4"],
    },
    {
        "text": "Thank you to everyone who gave their time to help us write this document.",
        "measures": [],
        "criteria": [],
    },
]


def test_cli_evaluate_scores_criteria_when_lines_carry_them(tmp_path: Path) -> None:
    """Contract 2's added block: per criterion (twins as one, named by the ICS wording), credited
    as in a review: the tagger tags the measure and the criterion clears its threshold."""
    from pipeline.criteria import load_criterion_model

    printed = _evaluate_json(tmp_path, WITH_CRITERIA)

    settings = Settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    tagger, _ = load_tagger(settings.tagger_path, taxonomy, settings)
    model, _ = load_criterion_model(settings.tagger_path, taxonomy, settings)
    texts = [row["text"] for row in WITH_CRITERIA]
    tagged = tagger.predict(texts)
    proba = model.predict_proba(texts)
    net_zero = list(model.classes_).index("M2.ICS.2")  # M2.ORG.2's twin names the pair
    m2 = list(tagger.classes_).index("M2")
    credited = [bool(t[m2]) and p[net_zero] >= model.thresholds_[net_zero] for t, p in zip(tagged, proba, strict=False)]
    tp = int(credited[1])
    fp = sum(credited) - tp
    assert printed["per_criterion"]["M2.ICS.2"]["support"] == 1 and "M2.ORG.2" not in printed["per_criterion"]
    assert printed["per_criterion"]["M2.ICS.2"]["recall"] == float(tp)
    assert printed["per_criterion"]["M2.ICS.2"]["precision"] == (round(tp / (tp + fp), 4) if tp + fp else 0.0)
    assert printed["criteria"]["criteria_with_support"] == 4


def test_calibration_by_hand() -> None:
    from pipeline.evaluate import calibration

    Y = np.array([[1, 0], [0, 0], [1, 1]])
    P = np.array([[0.95, 0.05], [0.15, 0.02], [0.85, 0.45]])
    found = calibration(Y, P)
    # bins: [0.0,0.1) holds 0.05, 0.02 (observed 0); [0.1,0.2) 0.15 (0); [0.4,0.5) 0.45 (1);
    # [0.8,0.9) 0.85 (1); [0.9,1] 0.95 (1)
    assert [(b.lower, b.n, b.observed) for b in found.reliability] == [
        (0.0, 2, 0.0),
        (0.1, 1, 0.0),
        (0.4, 1, 1.0),
        (0.8, 1, 1.0),
        (0.9, 1, 1.0),
    ]
    expected = (2 * 0.035 + 0.15 + 0.55 + 0.15 + 0.05) / 6
    assert found.ece == round(expected, 4)


def test_detailed_report_splits_by_set_writer_and_count() -> None:
    from pipeline.evaluate import NEW_SET, OLD_SET, detailed_report
    from pipeline.labels import LabelledPassage

    labelled = [
        LabelledPassage(text="a", measures=["A"]),
        LabelledPassage(text="b", measures=[]),
        LabelledPassage(text="c", measures=["A", "B"], writer="press"),
        LabelledPassage(text="d", measures=[], writer="board"),
    ]
    Y = np.array([[1, 0], [0, 0], [1, 1], [0, 0]])
    predicted = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    report = detailed_report(Y, predicted, predicted * 0.9, labelled, ["A", "B"])
    assert report.by_set[OLD_SET].n == 2 and report.by_set[NEW_SET].n == 2
    only_written = detailed_report(Y[2:], predicted[2:], predicted[2:] * 0.9, labelled[2:], ["A", "B"])
    assert only_written.by_set == {}  # one set: no split to show
    assert set(report.by_writer) == {"press", "board"} and report.by_writer["press"].per_measure["B"].recall == 0.0
    assert report.recall_by_count["1"].recall == 1.0 and report.recall_by_count["2"].recall == 0.5
    assert (report.negatives, report.negatives_tagged) == (2, 1)
    assert report.macro_f1 == score_predictions(Y, predicted, ["A", "B"]).macro_f1


def test_cv_tables_show_both_sets_each_writer_and_recall_by_count(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli_output import console, print_cv
    from pipeline.evaluate import NEW_SET, OLD_SET, detailed_report
    from pipeline.labels import LabelledPassage

    labelled = [
        LabelledPassage(text="a", measures=["A"]),
        LabelledPassage(text="b", measures=["A", "B"], writer="trade-press"),
        LabelledPassage(text="c", measures=[], writer="board-papers"),
    ]
    Y = np.array([[1, 0], [1, 1], [0, 0]])
    reports = {
        "baseline": detailed_report(Y, np.array([[1, 0], [1, 0], [0, 0]]), np.full((3, 2), 0.5), labelled, ["A", "B"]),
        "trained": detailed_report(Y, Y, Y * 0.9, labelled, ["A", "B"]),
    }
    monkeypatch.setattr(console, "width", 250)
    print_cv(reports)
    shown = capsys.readouterr().out
    for heading in (OLD_SET, NEW_SET, "trade-press", "board-papers", "2 measure(s) per passage", "calibration error"):
        assert heading in shown, heading
    assert "0.500" in shown and "1.000" in shown  # baseline's recall on the 2-measure passage, and the trained one's
