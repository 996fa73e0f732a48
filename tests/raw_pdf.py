"""Hand-built PDFs, object by object: for files no PDF library would write (broken page trees,
JavaScript actions) and for pages drawn with exact text operators."""

from __future__ import annotations

from pathlib import Path


def write_raw_pdf(path: Path, objects: list[bytes], root: int = 1) -> Path:
    """A PDF whose numbered objects are ``objects`` (1, 2, ...), with a correct cross-reference table."""
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    path.write_bytes(body)
    return path


def stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
