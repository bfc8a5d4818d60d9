# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
# Everything runs on loopback; nothing here talks to AWS or Descope.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: help test demo bench fmt lint unit compat toolchain moto package

help:
	@echo "make demo   - the whole migration end to end on local stand-ins"
	@echo "make test   - fmt check, clippy -D warnings, every test (what CI runs)"
	@echo "make bench  - benchmarks; record results in BENCHMARKS.md"
	@echo "make package - arm64 Lambda zip of the API Gateway authorizer (installs cargo-lambda and zig)"

## The Rust toolchain comes with the machine (rustup, cargo-nextest); fmt and clippy are checked
## here so a missing component fails with a clear message rather than an odd one.
toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt missing: rustup component add rustfmt"; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy missing: rustup component add clippy"; exit 1; }

test: toolchain moto fmt lint unit compat

## moto server (pinned) is the local Cognito of the importer's tests; installed into .venv-moto.
moto:
	bash tests/moto/install.sh

fmt:
	$(CARGO) fmt --all --check

lint:
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings

unit:
	$(CARGO) test --workspace --all-features --locked

## The official Descope Python SDK against the emulator (installs the SDK in .venv-compat).
compat:
	bash tests/descope-emulator/compat/run.sh

## The API Gateway authorizer's arm64 Lambda zip (installs cargo-lambda and zig into .venv-cl).
package:
	bash authorizers/apigateway/package.sh

bench: toolchain package
	$(CARGO) bench -p descope-jwt --bench verify --locked
	$(CARGO) bench -p apigateway-authorizer --bench authorizer --locked
	bash tests/moto/install.sh
	$(CARGO) bench -p cognito-to-descope --bench migrate --locked

demo:
	@echo "make demo: not yet available (it arrives with the infra and demo issue)."
	@echo "Meanwhile: 'make test' runs everything that exists, and tests/descope-emulator/README.md"
	@echo "shows how to run the local Descope emulator by hand."
