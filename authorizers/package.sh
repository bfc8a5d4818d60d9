#!/usr/bin/env bash
# Builds the Lambda packages of the functions for provided.al2023 on arm64:
# target/lambda/<package>/bootstrap.zip (the binary renamed `bootstrap`), and prints their sizes.
#
#   authorizers/package.sh [PACKAGE...]    (default: all five functions)
#
# cargo-lambda and zig (the cross linker) come from PyPI into .venv-cl at the repository root;
# the aarch64 Rust target is added with rustup.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-cl"
cd "$root"
packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(apigateway-authorizer appsync-authorizer presignup-linker password-check session-exchange)

if [ ! -x "$venv/bin/cargo-lambda" ] || [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'cargo-lambda==1.9.2' 'ziglang==0.17.1'
fi
# cargo finds the `lambda` subcommand on PATH, and cargo-lambda runs zig through the venv's python.
export PATH="$venv/bin:$PATH"
rustup target add aarch64-unknown-linux-gnu >/dev/null

for package in "${packages[@]}"; do
    out="$root/target/lambda/$package"
    # Switching architectures rewrites bootstrap but may leave a stale zip behind.
    rm -f "$out/bootstrap.zip"
    cargo lambda build --release --arm64 --output-format zip -p "$package"
    size=$(stat -c %s "$out/bootstrap.zip")
    echo "$package arm64 package: $out/bootstrap.zip ($size bytes)"
done
