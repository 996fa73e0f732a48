import numpy as np

from pipeline.neighbours import neighbour_vote


def _unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


LABELLED = _unit([1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1])
LABELS = np.array([[1, 0], [1, 1], [0, 1], [0, 1], [0, 0]], dtype=np.int8)


def test_the_nearest_passages_vote_and_the_closest_counts_most() -> None:
    query = _unit([1, 0.05, 0])
    [shares] = neighbour_vote(query, LABELLED, LABELS, np.ones(5), k=2, temperature=20.0)
    # Both neighbours carry the first label; only the second (a little further away) the second.
    assert shares[0] == 1.0 and 0.0 < shares[1] < 0.5
    [flat] = neighbour_vote(query, LABELLED, LABELS, np.ones(5), k=2, temperature=0.0)
    assert flat.tolist() == [1.0, 0.5]


def test_a_passage_of_weight_zero_does_not_vote_and_k_is_capped_at_the_labelled_count() -> None:
    query = _unit([1, 0.05, 0])
    weights = np.array([1.0, 0.0, 1.0, 1.0, 1.0])
    [shares] = neighbour_vote(query, LABELLED, LABELS, weights, k=2, temperature=0.0)
    assert shares.tolist() == [1.0, 0.0]
    [everyone] = neighbour_vote(query, LABELLED, LABELS, np.ones(5), k=50, temperature=0.0)
    assert np.allclose(everyone, LABELS.mean(axis=0))


def test_no_query_gives_no_rows() -> None:
    assert neighbour_vote(np.zeros((0, 3)), LABELLED, LABELS, np.ones(5)).shape == (0, 2)
