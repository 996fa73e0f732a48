"""Facts the code defines once: the contract's error codes (pipeline/errors.py) and the measure
ids (pipeline/taxonomy.py), and every module that needs them reads them from there."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from pipeline import audit_render, audit_tables, labels
from pipeline.errors import ErrorCode, ReviewError
from pipeline.models import ReviewErrorRecord
from pipeline.settings import Settings
from pipeline.taxonomy import MEASURE_IDS, load_taxonomy


def _subclasses(cls: type[ReviewError]) -> list[type[ReviewError]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_every_error_code_of_the_contract_has_its_error_and_no_error_has_another_code() -> None:
    codes = {cls.code for cls in _subclasses(ReviewError)}
    assert codes == set(get_args(ErrorCode))


def test_a_review_record_refuses_a_code_outside_the_contract() -> None:
    assert ReviewErrorRecord(code="needs_ocr", message="m").code == "needs_ocr"
    with pytest.raises(ValidationError):
        ReviewErrorRecord(code="unreadable", message="m")  # type: ignore[arg-type]


def test_the_taxonomy_file_the_labels_and_the_audit_share_one_list_of_measures() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_path)
    assert taxonomy.measure_ids == list(MEASURE_IDS)
    assert labels.MEASURE_IDS is MEASURE_IDS
    assert audit_tables.MEASURE_IDS is MEASURE_IDS and audit_render.MEASURE_IDS is MEASURE_IDS
