"""Figures for a refactor's before/after note: lines per module, largest functions, untested modules.

Run from a checkout's root: ``python bench/house_figures.py [--top N]``. Duplicate pairs come from the
workplace's ``duplicates --repo src`` / ``--repo tests``, not from here.
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Function:
    module: str
    name: str
    lines: int


def module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def functions(tree: ast.AST, module: str) -> list[Function]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
            found.append(Function(module, node.name, node.end_lineno - node.lineno + 1))
    return found


def imported_by_tests(tests: Path, names: set[str]) -> set[str]:
    """Modules some test imports by name (``import a.b``, ``from a.b import x`` or ``from a import b``)."""
    text = "\n".join(p.read_text() for p in tests.rglob("*.py"))
    found = {n for n in names if re.search(rf"\b(from|import)\s+{re.escape(n)}\b", text)}
    for n in names:
        parent, _, last = n.rpartition(".")
        if parent and re.search(rf"from\s+{re.escape(parent)}\s+import\s+\(?[^)\n]*\b{last}\b", text):
            found.add(n)
    return found


def mirrored_by_tests(tests: Path, names: set[str]) -> set[str]:
    """Modules with a ``test_<last part>.py`` of their own somewhere under tests/."""
    return {n for n in names if any(tests.rglob(f"test_{n.rpartition('.')[2]}.py"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    src, tests = args.root / "src", args.root / "tests"
    sizes: dict[str, int] = {}
    funcs: list[Function] = []
    trees: dict[str, ast.AST] = {}
    for path in sorted(src.rglob("*.py")):
        name = module_name(path, src)
        text = path.read_text()
        sizes[name] = len(text.splitlines())
        trees[name] = ast.parse(text)
        funcs += functions(trees[name], name)
    print(f"modules {len(sizes)}  lines {sum(sizes.values())}")
    print("\nlines per module (largest first)")
    for name, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {n:5d}  {name}")
    print(f"\nlargest {args.top} functions")
    for f in sorted(funcs, key=lambda f: -f.lines)[: args.top]:
        print(f"  {f.lines:4d}  {f.module}.{f.name}")
    # Only modules with code: package markers and __main__ shims are left out.
    code = {
        n
        for n, t in trees.items()
        if not n.endswith("__main__")
        and any(isinstance(x, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for x in ast.walk(t))
    }
    for label, covered in (
        ("no test imports", imported_by_tests(tests, code)),
        ("no test_<name>.py of their own", mirrored_by_tests(tests, code)),
    ):
        missing = sorted(code - covered)
        print(f"\nmodules {label} ({len(missing)} of {len(code)}): {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
