#!/usr/bin/env bash
# Drives the emulator with the official Descope Python SDK: if the real client cannot talk to
# the emulator, the emulator is wrong. Self-contained: venv, build, start, pytest, stop.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VENV="$ROOT/.venv-compat"
# Pinned: the SDK version whose source the emulator was checked against.
DESCOPE_VERSION="2.16.1"
PYTEST_VERSION="8.3.5"
PYTHON="${PYTHON:-python3}"
CARGO="${CARGO:-cargo}"

# 1. The venv (reused; pip is quick when the pins are already satisfied).
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "descope==$DESCOPE_VERSION" "pytest==$PYTEST_VERSION"

# 2. Build and start the emulator on a free port.
(cd "$ROOT" && "$CARGO" build --quiet -p descope-emulator --bin descope-emulator)
TARGET_DIR="$(cd "$ROOT" && "$CARGO" metadata --format-version 1 --no-deps |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/debug/descope-emulator"

WORK="$(mktemp -d)"
PROJECT_ID="P2compat$RANDOM$RANDOM"
MANAGEMENT_KEY="K2compat-$RANDOM$RANDOM"
EMULATOR_PID=""
cleanup() {
    # 4. Stop the emulator whatever happened.
    if [[ -n "$EMULATOR_PID" ]]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" --listen 127.0.0.1:0 --project-id "$PROJECT_ID" --management-key "$MANAGEMENT_KEY" \
    >"$WORK/stdout" 2>"$WORK/stderr" &
EMULATOR_PID=$!

URL=""
for _ in $(seq 1 100); do
    URL="$(sed -n 's/^descope-emulator listening on \(http:[^ ]*\) .*/\1/p' "$WORK/stdout")"
    [[ -n "$URL" ]] && break
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
        echo "descope-emulator exited early:" >&2
        cat "$WORK/stderr" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$URL" ]]; then
    echo "descope-emulator did not report its address within 10 s" >&2
    exit 1
fi
echo "compat: descope $DESCOPE_VERSION against $URL"

# 3. The SDK tests.
DESCOPE_EMULATOR_BIN="$BIN" DESCOPE_EMULATOR_URL="$URL" DESCOPE_PROJECT_ID="$PROJECT_ID" DESCOPE_MANAGEMENT_KEY="$MANAGEMENT_KEY" \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$HERE/test_sdk.py"
