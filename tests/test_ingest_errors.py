"""Bad input gets its contract error code, naming the file and the reason."""

from pathlib import Path

import pytest

from pipeline.errors import ReviewError
from pipeline.ingest import read_document
from pipeline.settings import Settings


@pytest.mark.parametrize("code", ["encrypted", "corrupt", "not_pdf", "no_text"])
def test_bad_pdf_raises_its_code(bad_pdfs: dict[str, Path], code: str) -> None:
    with pytest.raises(ReviewError) as caught:
        read_document(bad_pdfs[code])
    assert caught.value.code == code
    assert bad_pdfs[code].name in str(caught.value)


def test_encrypted_pdf_opens_with_its_password(bad_pdfs: dict[str, Path]) -> None:
    document = read_document(bad_pdfs["encrypted"], password="s3cret")
    assert "Secret strategy" in document.text


def test_empty_file_and_folder_named_pdf_are_not_pdfs(bad_pdfs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "x.pdf"
    folder.mkdir()
    for path, reason in [(bad_pdfs["empty"], "empty file"), (folder, "not a regular file")]:
        with pytest.raises(ReviewError, match=reason) as caught:
            read_document(path)
        assert caught.value.code == "not_pdf"


def test_file_over_the_size_limit_is_too_large(bad_pdfs: dict[str, Path]) -> None:
    with pytest.raises(ReviewError) as caught:
        read_document(bad_pdfs["encrypted"], Settings(max_file_mb=0.0001))
    assert caught.value.code == "too_large"
