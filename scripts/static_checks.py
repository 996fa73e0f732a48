"""Lint, format and type checks for ``make check``: ruff check, ruff format --check and mypy, with
the settings in pyproject.toml as the target, measured against ``static-baseline.json``.

The baseline holds the errors the code had when the checks were added (issue 18, phase 1), so that
``make check`` could guard every file at once while other branches were still changing them. An
error is new when its file has more errors of that rule (and, for mypy, that message) than the
baseline allows; line numbers are left out so that edits above an old error do not make it new.
Phase 2 fixes the old errors and deletes this script and the baseline: ``make check`` then runs
the three tools directly.

    python scripts/static_checks.py            # exit 1 and list any new error
    python scripts/static_checks.py --update   # write the current errors as the baseline
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "static-baseline.json"
BIN = Path(sys.executable).parent
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$")


@dataclass(frozen=True)
class Finding:
    """One error as a tool printed it (``shown``) and the key it is counted under (no line number)."""

    key: str
    shown: str


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)


def _checked(result: subprocess.CompletedProcess[str], tool: str, ok: tuple[int, ...]) -> str:
    """A tool's output, or exit 2 when the tool itself failed (bad settings, a crash)."""
    if result.returncode not in ok:
        sys.exit(f"{tool} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def _ruff(tool: str, *args: str) -> list[Finding]:
    """ruff's findings, as JSON, keyed by file and rule (``unformatted`` for the formatter)."""
    command = ["ruff", *tool.split(), "--output-format=json", *args, "."]
    found = []
    for error in json.loads(_checked(_run(*command), f"ruff {tool}", (0, 1)) or "[]"):
        file = Path(error["filename"]).relative_to(ROOT).as_posix()
        where = f"{file}:{error['location']['row']}"
        found.append(Finding(f"ruff {file} {error['code']}", f"{where}: {error['code']} {error['message']}"))
    return found


def ruff_findings() -> list[Finding]:
    return _ruff("check", "--exit-zero")


def format_findings() -> list[Finding]:
    return _ruff("format --check")


def mypy_findings() -> list[Finding]:
    out = _checked(_run("mypy", "--no-error-summary", "--no-pretty"), "mypy", (0, 1))
    found = []
    for line in out.splitlines():
        match = MYPY_LINE.match(line)
        if match:
            message = re.sub(r"line \d+", "line N", match["message"])
            found.append(Finding(f"mypy {match['file']} {match['code']} {message}", line))
    return found


def over_baseline(found: list[Finding], allowed: dict[str, int]) -> dict[str, list[Finding]]:
    """Per key that occurs more often than the baseline allows, all its findings (which of them
    is the new one cannot be told without line numbers)."""
    by_key: dict[str, list[Finding]] = {}
    for finding in found:
        by_key.setdefault(finding.key, []).append(finding)
    return {key: shown for key, shown in by_key.items() if len(shown) > allowed.get(key, 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="write the current errors as the baseline")
    args = parser.parse_args()
    found = ruff_findings() + format_findings() + mypy_findings()
    counts = Counter(f.key for f in found)
    if args.update:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"{BASELINE.name}: {sum(counts.values())} errors under {len(counts)} keys")
        return 0
    allowed: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    over = over_baseline(found, allowed)
    for key, shown in over.items():
        print(f"{key}: {len(shown)} found, {allowed.get(key, 0)} in the baseline")
        for finding in shown:
            print(f"  {finding.shown}")
    new = sum(len(shown) - allowed.get(key, 0) for key, shown in over.items())
    fixed = sum(max(0, n - counts.get(key, 0)) for key, n in allowed.items())
    print(
        f"ruff check, ruff format --check, mypy: {new} new error(s), {sum(counts.values()) - new} "
        f"in {BASELINE.name}" + (f"; {fixed} fixed since (--update drops them)" if fixed else "")
    )
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
