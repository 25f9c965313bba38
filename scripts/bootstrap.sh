# Sourced by run-suite and run-tests: makes .venv with the locked dependencies (requirements/lock.txt, made
# from pyproject.toml by uv: see README "Dependencies"), every file checked against its hash.
# Reinstalls only when the lock or pyproject.toml changed, so repeat runs start in a second.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
LOCK="$ROOT/requirements/lock.txt"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "error: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2
    exit 3
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
stamp="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$LOCK" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    pip=("$VENV/bin/python" -m pip --quiet --disable-pip-version-check)
    "${pip[@]}" install --upgrade pip
    # The lock holds the runtime and the dev group (PEP 735) alike; the project itself goes in on top, editable,
    # without resolving again.
    "${pip[@]}" install --require-hashes -r "$LOCK"
    "${pip[@]}" install --no-deps -e "$ROOT"
    rm -f "$VENV"/.installed-* && touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
