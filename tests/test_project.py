"""The project's own files agree: the lock holds exactly the versions pyproject.toml pins."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pinned_in_pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lines = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    pins: dict[str, str] = {}
    for line in lines:
        requirement = Requirement(line)
        (spec,) = requirement.specifier  # exactly one '==' each: the brief pins every dependency
        assert spec.operator == "==", f"{line}: pin it exactly"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def locked() -> dict[str, str]:
    text = (ROOT / "requirements" / "lock.txt").read_text()
    return {canonicalize_name(name): version for name, version in LOCK_LINE.findall(text)}


def test_the_lock_holds_every_version_pyproject_pins() -> None:
    lock = locked()
    pins = pinned_in_pyproject()
    differing = {name: (pin, lock.get(name)) for name, pin in pins.items() if lock.get(name) != pin}
    assert not differing, f"pyproject.toml vs lock (regenerate requirements/lock.txt, README): {differing}"


def test_every_locked_line_carries_a_hash() -> None:
    text = (ROOT / "requirements" / "lock.txt").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])  # skip uv's two header lines
    unhashed = [entry.split()[0] for entry in entries if entry.strip() and "--hash=sha256:" not in entry]
    assert not unhashed
    assert len(entries) > 50  # the whole tree, not just the direct pins
