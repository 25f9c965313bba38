"""The repository stands alone: no tracked file reads or cites anything beside the checkout.

The platform's recorded answers and OpenAPI document live in ``contract/`` (provenance in
``contract/README.md``) and the contract the suite relies on in ``docs/contract.md``; a reference to a
folder next to the checkout would work on one machine and fail on a fresh clone.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Built from pieces so this file does not match itself; nothing else is excluded.
OUTSIDE = re.compile(re.escape("../" + "shared") + "|" + re.escape("shared" + "/platform"))


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_refers_to_a_folder_beside_the_checkout() -> None:
    files = tracked_files()
    assert len(files) > 100  # the whole checkout was listed
    hits = []
    for path in files:
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not hits, "refers outside the checkout (use contract/ or docs/contract.md):\n" + "\n".join(hits)


def test_the_recorded_contract_is_in_the_checkout() -> None:
    contract = ROOT / "contract"
    assert (contract / "openapi.json").is_file()
    assert (contract / "samples" / "_index.json").is_file()
    assert "9baca9e" in (contract / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "contract.md").is_file()
