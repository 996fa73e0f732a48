"""The criterion model scores every (passage, criterion) pair on its own, keeps scikit-learn's
estimator contract, folds twins, and credits a criterion only under a measure the tagger tags."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from pipeline.criteria import credit_criteria, criterion_training_set, flag_cuts, load_criterion_model
from pipeline.criteria_features import FEATURE_NAMES, build_space, term_hits
from pipeline.criteria_model import CriterionModel
from pipeline.explain import term_pattern
from pipeline.labels import LabelledPassage, read_labelled
from pipeline.models import Passage, Tag
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

SETTINGS = Settings()
TAXONOMY = load_taxonomy(SETTINGS.taxonomy_path)


@pytest.fixture(scope="module")
def space():  # type: ignore[no-untyped-def]
    return build_space(TAXONOMY, SETTINGS)


@pytest.fixture(scope="module")
def data(space):  # type: ignore[no-untyped-def]
    labelled = criterion_training_set(read_labelled(SETTINGS.labels_path)[::6], TAXONOMY)
    Y = space.fold([p.criteria for p in labelled], TAXONOMY)
    return [p.text for p in labelled], Y, [p.source for p in labelled]


@pytest.fixture(scope="module")
def fitted(space, data):  # type: ignore[no-untyped-def]
    X, Y, groups = data
    return CriterionModel(space=space, cv=3).fit(X, Y, groups=groups)


def test_twins_are_one_class(space) -> None:  # type: ignore[no-untyped-def]
    assert len(space.ids) == len(TAXONOMY.substances) < len(TAXONOMY.criteria)
    folded = space.fold([["M2.ORG.2"], ["M2.ICS.2"], ["M6.ORG.4"]], TAXONOMY)
    column = space.ids.index("M2.ICS.2")
    assert folded[0, column] == folded[1, column] == 1 and folded[2, column] == 0


def test_term_hits_count_what_every_pattern_finds(space, data) -> None:  # type: ignore[no-untyped-def]
    """The substring shortcut gives the counts of searching every term's pattern in every text,
    also for letters a case-blind pattern matches that lower() does not fold (ſ, ı, İ) and for
    acronyms, which keep their case."""
    texts = [*data[0][:120], "ſhared care record, İntegrated and ıntegrated", "the DSPT and the dspt", ""]
    expected = np.array(
        [[sum(1 for t in terms if term_pattern(t).search(text)) for terms in space.terms] for text in texts]
    )
    hits = term_hits(texts, space)
    assert np.array_equal(hits, expected) and hits.sum() > 100


def test_fit_predicts_a_probability_per_criterion(fitted, data) -> None:  # type: ignore[no-untyped-def]
    X, Y, _ = data
    proba = fitted.predict_proba(X[:6])
    assert proba.shape == (6, Y.shape[1]) and np.all((proba >= 0) & (proba <= 1))
    assert fitted.thresholds_.shape == (Y.shape[1],)
    assert np.array_equal(fitted.predict(X[:6]), (proba >= fitted.thresholds_).astype(int))
    assert len(fitted.feature_names) == len(FEATURE_NAMES) + 1 + Y.shape[1]
    # out of fold, the labelled criteria outrank the others of their measure more often than not
    gate = fitted.examples_.measure_Y == 1
    assert fitted.out_of_fold_[gate & (Y == 1)].mean() > fitted.out_of_fold_[gate & (Y == 0)].mean() + 0.2


def test_estimator_contract(fitted, space, data) -> None:  # type: ignore[no-untyped-def]
    X, Y, _ = data
    twin = clone(fitted)
    assert twin.get_params().keys() == fitted.get_params().keys() and twin.get_params()["space"].ids == space.ids
    with pytest.raises(NotFittedError):
        twin.predict_proba(X[:2])
    with pytest.raises(ValueError, match="Y must have shape"):
        clone(fitted).fit(X, Y[:, :3])
    with pytest.raises(ValueError, match="method must be one of"):
        clone(fitted).set_params(method="nearest").fit(X, Y)


def test_one_passage_may_credit_several_criteria_only_under_tagged_measures(fitted) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Cyber: a security operations centre now monitors every partner around the clock; every partner met the "
        "Data Security and Protection Toolkit standards this year; high-severity cyber alerts are acted on within "
        "48 hours; and each SIRO and Data Protection Officer is backed by the system cyber team."
    )
    passage = Passage(
        passage_id="d-0",
        document_id="d",
        ordinal=0,
        text=text,
        heading=None,
        pages=[1],
        start_char=0,
        end_char=len(text),
    )
    thresholds = {m: 0.5 for m in TAXONOMY.measure_ids}
    tagged = Tag(passage_id="d-0", scores={m: (0.9 if m == "M3" else 0.1) for m in TAXONOMY.measure_ids})
    untagged = tagged.model_copy(update={"scores": {m: 0.1 for m in TAXONOMY.measure_ids}})
    (credited,) = credit_criteria([passage], [tagged], fitted, thresholds)
    assert len(credited.criteria["M3"]) >= 2 and set(credited.criteria) == {"M3"}
    assert set(credited.criterion_scores) == set(fitted.classes_)
    (none,) = credit_criteria([passage], [untagged], fitted, thresholds)
    assert none.criteria == {} and set(none.criterion_scores) == set(credited.criterion_scores)
    # an untagged passage, which cannot credit anything, is scored whole: its sentences are not embedded
    assert all(none.criterion_scores[c] <= credited.criterion_scores[c] for c in credited.criterion_scores)


def test_a_passage_scores_each_criterion_by_its_best_sentence_too(fitted, data) -> None:  # type: ignore[no-untyped-def]
    """A passage's probability is the higher of the whole passage's and its best sentence's;
    a passage of one sentence has nothing more to score."""
    X = data[0][:40]
    whole = fitted.predict_proba(X, sentences_of=[False] * len(X))
    pooled = fitted.predict_proba(X)
    assert np.all(pooled >= whole - 1e-6) and np.any(pooled > whole + 0.05)
    single = "The ICB board approved the digital strategy in March."
    assert np.array_equal(fitted.predict_proba([single]), fitted.predict_proba([single], sentences_of=[False]))


def test_a_model_saved_before_sentences_were_scored_still_scores_whole_passages(fitted, data) -> None:  # type: ignore[no-untyped-def]
    """A criteria.joblib written by an earlier release has no ``window_size``: it loads, and
    scores as it did (its thresholds were chosen for whole passages)."""
    state = {k: v for k, v in fitted.__getstate__().items() if k != "window_size"}
    old = CriterionModel.__new__(CriterionModel)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    X = data[0][:10]
    assert old.window_size == 0
    assert np.array_equal(old.predict_proba(X), fitted.predict_proba(X, sentences_of=[False] * len(X)))


def test_no_criterion_is_credited_below_the_minimum_threshold(fitted, data) -> None:  # type: ignore[no-untyped-def]
    """Cuts chosen on the labels' folds alone fall well below 0.8 for many criteria; the model
    never credits below ``min_threshold``, and a model saved before it keeps its own cuts."""
    X, Y, groups = data
    assert fitted.min_threshold == 0.8 and np.all(fitted.thresholds_ >= 0.8)
    chosen = fitted.choose_thresholds(Y, fitted.out_of_fold_, fitted.examples_.measure_Y)
    assert np.array_equal(chosen, fitted.thresholds_)
    # the folds' own cuts, which flags are measured against, are kept beside the floored ones
    assert np.any(fitted.fold_thresholds_ < 0.8)
    assert np.array_equal(np.maximum(fitted.fold_thresholds_, 0.8), fitted.thresholds_)
    lower = clone(fitted).set_params(min_threshold=0.0)
    assert np.array_equal(
        lower.choose_thresholds(Y, fitted.out_of_fold_, fitted.examples_.measure_Y), fitted.fold_thresholds_
    )
    state = {k: v for k, v in fitted.__getstate__().items() if k not in ("min_threshold", "fold_thresholds_")}
    old = CriterionModel.__new__(CriterionModel)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert old.min_threshold == 0.0 and np.array_equal(old.thresholds_, fitted.thresholds_)
    assert np.array_equal(old.fold_thresholds_, old.thresholds_)


def test_a_passage_just_under_the_credit_floor_leaves_a_flag_doubtful(fitted) -> None:  # type: ignore[no-untyped-def]
    """A passage at 0.6 credits no criterion (the floor is 0.8), but where the folds' own cut is
    lower it is no sign of absence either: the flag's cut follows the folds' cut, not the floor."""
    cuts = flag_cuts(fitted, 1.0)
    low = [j for j, t in enumerate(fitted.fold_thresholds_) if t < 0.6]
    assert low
    for j in low:
        assert cuts[str(fitted.classes_[j])] < 0.6 < fitted.thresholds_[j]


def test_the_shipped_model_credits_two_criteria_side_by_side_in_one_passage() -> None:
    """A sentence on the Technology Code of Practice beside one on fax removal: scored whole, the
    passage is about fax removal and the first criterion gets almost nothing; its sentences
    scored too, both criteria are credited."""
    model, card = load_criterion_model(SETTINGS.tagger_path, TAXONOMY, SETTINGS)
    text = (
        "All new systems will be assessed against the Technology Code of Practice by our design authority "
        "before purchase. The last fax machines in our hospitals will be switched off by March, with letters "
        "sent through NHSmail instead."
    )
    standards, fax = (list(model.classes_).index(c) for c in ("M2.ICS.3", "M2.ORG.8"))
    whole = model.predict_proba([text], sentences_of=[False])[0]
    pooled = model.predict_proba([text])[0]
    assert card.window_size == model.window_size == 1
    assert whole[fax] >= model.thresholds_[fax] > whole[standards]
    assert pooled[standards] >= model.thresholds_[standards] and pooled[fax] >= model.thresholds_[fax]


def test_passages_of_a_measure_without_its_criteria_are_not_trained_on() -> None:
    kept = criterion_training_set(
        [
            LabelledPassage(text="a", measures=["M2"], criteria=["M2.ICS.4"]),
            LabelledPassage(text="b", measures=["M2", "M3"], criteria=["M2.ICS.4"]),
            LabelledPassage(text="c", measures=[], criteria=[]),
        ],
        TAXONOMY,
    )
    assert [p.text for p in kept] == ["a", "c"]
