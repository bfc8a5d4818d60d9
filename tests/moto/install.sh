#!/usr/bin/env bash
# Installs moto (the local Cognito used by the tests through the moto-harness crate, the importer's
# benchmark and the demo) into .venv-moto at the repository root. Pinned: the tests rely on moto's
# behaviour and token format, and the in-process seeding of the benchmark uses moto internals.
# Idempotent and quick when already installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-moto"
MOTO_VERSION="5.2.5"
BOTO3_VERSION="1.44.8"
PYTHON="${PYTHON:-python3}"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server,cognitoidp,dynamodb]==$MOTO_VERSION" "boto3==$BOTO3_VERSION"
fi
echo "moto $MOTO_VERSION ready: $VENV/bin/moto_server"
