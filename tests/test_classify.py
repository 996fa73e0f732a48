"""The taggers keep scikit-learn's estimator contract (the checks that apply to a multi-label
tagger over passage texts; sklearn's generic checks feed numeric arrays and single-label targets,
which these estimators refuse by design)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from pipeline.classify import Prototypes, TfidfTagger, ZeroShotTagger, build_prototypes
from pipeline.labels import indicator_matrix, read_labelled
from pipeline.measure_tagger import MeasureTagger
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy

SETTINGS = Settings()
TAXONOMY = load_taxonomy(SETTINGS.taxonomy_path)


@pytest.fixture(scope="session")
def data() -> tuple[list[str], np.ndarray]:
    """Every passage of one source document in 32: about 150 passages, 20 or more per measure."""
    labelled = read_labelled(SETTINGS.labels_path)
    kept = set(sorted({p.source for p in labelled})[::32])
    subset = [p for p in labelled if p.source in kept]
    return [p.text for p in subset], indicator_matrix(subset, TAXONOMY.measure_ids)


TAGGER_KINDS = ["MeasureTagger", "ZeroShotTagger", "TfidfTagger"]


@pytest.fixture(scope="session")
def prototypes() -> Prototypes:
    """Built when first used, not at collection: every xdist worker collects this module, and an
    error there (a locked cache, once) takes down the whole run."""
    return build_prototypes(TAXONOMY, SETTINGS)


def _new_tagger(kind: str, prototypes: Prototypes) -> object:
    if kind == "MeasureTagger":
        return MeasureTagger(prototypes=prototypes, cv=3, random_state=0)
    if kind == "ZeroShotTagger":
        return ZeroShotTagger(prototypes=prototypes, cv=3, random_state=0)
    return TfidfTagger(measure_ids=TAXONOMY.measure_ids, cv=3, random_state=0)


@pytest.fixture(params=TAGGER_KINDS)
def tagger(request: pytest.FixtureRequest, prototypes: Prototypes):  # type: ignore[no-untyped-def]
    return _new_tagger(request.param, prototypes)


@pytest.fixture(scope="session", params=TAGGER_KINDS)
def fitted(request: pytest.FixtureRequest, data, prototypes: Prototypes):  # type: ignore[no-untyped-def]
    """Each tagger fitted once per session (a MeasureTagger fit is the costly part), with what
    ``fit`` returned: shared by the tests that need a fitted tagger."""
    X, Y = data
    tagger = _new_tagger(request.param, prototypes)
    return tagger, tagger.fit(X, Y)


def test_fit_returns_self_and_learns_per_measure(fitted, data) -> None:  # type: ignore[no-untyped-def]
    X, _ = data
    tagger, returned = fitted
    assert returned is tagger
    assert list(tagger.classes_) == TAXONOMY.measure_ids
    assert tagger.thresholds_.shape == (7,) and len(tagger.estimators_) == 7
    proba = tagger.predict_proba(X[:5])
    assert proba.shape == (5, 7) and np.all((proba >= 0) & (proba <= 1))
    assert np.array_equal(tagger.predict(X[:5]), (proba >= tagger.thresholds_).astype(int))


def test_unfitted_tagger_refuses_to_predict(tagger, data) -> None:  # type: ignore[no-untyped-def]
    X, _ = data
    with pytest.raises(NotFittedError):
        tagger.predict_proba(X[:2])


def test_get_params_and_clone_round_trip(tagger) -> None:  # type: ignore[no-untyped-def]
    params = tagger.get_params()
    twin = clone(tagger)
    assert twin.get_params().keys() == params.keys()
    assert twin.set_params(random_state=7).random_state == 7
    assert not hasattr(twin, "classes_")


def test_fixed_seed_gives_identical_results(fitted, data) -> None:  # type: ignore[no-untyped-def]
    X, Y = data
    first, _ = fitted
    second = clone(first).fit(X, Y)
    assert np.array_equal(first.thresholds_, second.thresholds_)
    assert np.allclose(first.predict_proba(X), second.predict_proba(X))


def test_non_text_input_is_refused(tagger, data) -> None:  # type: ignore[no-untyped-def]
    _, Y = data
    with pytest.raises(ValueError, match="passage texts"):
        tagger.fit(np.zeros((len(Y), 4)), Y)


def test_wrong_label_shape_is_refused(tagger, data) -> None:  # type: ignore[no-untyped-def]
    X, Y = data
    with pytest.raises(ValueError, match="Y must have shape"):
        tagger.fit(X, Y[:, :3])


def test_trained_tagger_separates_neighbouring_measures() -> None:
    """The shipped tagger tells cyber security from infrastructure, and citizen apps from
    remote care, on sentences written for this test."""
    from pipeline.model_card import load_tagger

    fitted, _ = load_tagger(SETTINGS.tagger_path, TAXONOMY, SETTINGS)
    cases = {
        "Our security operations centre now watches every partner's network around the clock "
        "and we have run two ransomware exercises with the trusts this year.": "M3",
        "We are replacing the ageing wide area network that links our three hospitals and will "
        "move the remaining on-premise servers into the cloud by 2026.": "M2",
        "Residents can now book, change and cancel appointments and read their test results in "
        "the NHS App, and we are adding proxy access for carers.": "M5",
        "Our virtual ward now supports 120 patients at home, with pulse oximetry and blood "
        "pressure readings reviewed daily by the community hub clinicians.": "M6",
    }
    proba = fitted.predict_proba(list(cases))
    for row, expected in zip(proba, cases.values(), strict=False):
        assert TAXONOMY.measure_ids[int(np.argmax(row))] == expected


def test_shipped_tagger_tags_every_measure_a_bundled_passage_evidences() -> None:
    """Real roadmaps put several measures in one paragraph; each must be tagged, not only the
    loudest (passages written for this test)."""
    from pipeline.model_card import load_tagger

    fitted, _ = load_tagger(SETTINGS.tagger_path, TAXONOMY, SETTINGS)
    cases = {
        "Year two of the roadmap. All 52 GP practices will move to cloud telephony and the last fax machines "
        "will be switched off by December. Patients will be able to order repeat prescriptions and see their "
        "hospital letters in the NHS App, with a phone route kept for anyone who prefers it. The virtual ward "
        "will grow to 90 beds with remote monitoring of oxygen levels at home.": {"M2", "M5", "M6"},
        "The Digital Board, chaired by the ICB's chief digital officer as senior responsible owner, approved "
        "the business case in March. Every partner will pass the Data Security and Protection Toolkit this "
        "year, and the system's security operations centre will monitor all trust networks around the clock.": {
            "M1",
            "M3",
        },
    }
    predicted = fitted.predict(list(cases))
    for row, expected in zip(predicted, cases.values(), strict=True):
        assert {m for m, on in zip(TAXONOMY.measure_ids, row, strict=True) if on} >= expected


def test_measure_tagger_with_the_vote_alone_gives_a_known_passage_its_own_labels(data, prototypes: Prototypes) -> None:  # type: ignore[no-untyped-def]
    """With ``neighbour_weight=1`` the probability is the neighbours' vote: a passage the tagger
    learnt from is its own nearest neighbour, so one neighbour returns its labels exactly; with
    ``neighbour_weight=0`` the regressions alone speak, and their scores are not 0/1."""
    X, Y = data
    voting = MeasureTagger(prototypes=prototypes, cv=3, random_state=0, neighbour_weight=1.0, neighbours=1).fit(X, Y)
    assert np.array_equal(voting.predict_proba(X[:20]), Y[:20].astype(float))
    regressions = clone(voting).set_params(neighbour_weight=0.0).fit(X, Y)
    assert not np.all(np.isin(regressions.predict_proba(X[:20]), (0.0, 1.0)))
    # A tagger saved before the vote existed has none of its attributes: it still tags, as it was
    # fitted to, with the regressions alone.
    older = copy.deepcopy(voting)
    for name in ("neighbour_weight", "neighbours", "neighbour_vectors_", "neighbour_labels_", "neighbour_weights_"):
        delattr(older, name)
    assert np.array_equal(older.predict_proba(X[:20]), regressions.predict_proba(X[:20]))
