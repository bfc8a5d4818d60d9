# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
# Everything runs on loopback; nothing here talks to AWS or Descope.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: help test demo bench fmt lint structure unit compat toolchain moto package release infra cdk deploy deploy-hybrid

help:
	@echo "make demo   - the whole migration end to end on local stand-ins"
	@echo "make test   - fmt check, clippy -D warnings, every test (what CI runs)"
	@echo "make bench  - benchmarks; record results in BENCHMARKS.md"
	@echo "make package - arm64 Lambda zips of the functions (installs cargo-lambda and zig)"
	@echo "make release - static Linux x86_64 and arm64 binaries of the importer + SHA256SUMS (installs cargo-zigbuild and zig)"
	@echo "make deploy - sam build + sam deploy --guided of infra/template.yaml (needs an AWS account)"
	@echo "make deploy-hybrid - the same for infra/hybrid/template.yaml (Descope as Cognito's OIDC provider)"

## The Rust toolchain comes with the machine (rustup, cargo-nextest); fmt and clippy are checked
## here so a missing component fails with a clear message rather than an odd one.
toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt missing: rustup component add rustfmt"; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy missing: rustup component add clippy"; exit 1; }

test: toolchain moto fmt lint infra cdk compat structure unit

## moto server (pinned) is the local Cognito of the importer's tests; installed into .venv-moto.
moto:
	bash tests/moto/install.sh

fmt:
	$(CARGO) fmt --all --check

lint:
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings

## No module circles in the authorizers' crates, no runs of 6+ lines shared by the two authorizers
## (or the two policy sections), the authorizers' src/ line budgets; the self-test proves the check
## still catches a planted circle, duplicate and overrun (python3, standard library only).
structure:
	python3 tests/structure/check.py --self-test
	python3 tests/structure/check.py

unit:
	$(CARGO) test --workspace --all-features --locked

## The official Descope Python SDK against the emulator (installs the SDK in .venv-compat).
compat:
	bash tests/descope-emulator/compat/run.sh

## SAM templates: cfn-lint, sam validate --lint, cfn-lint on the expanded template, checkov
## (installs pinned tools into .venv-infra and .venv-checkov).
infra:
	bash infra/lint.sh

## The CDK app (infra/cdk): tsc, cdk synth with cdk-nag's AwsSolutions rules, cfn-lint on what it
## synthesizes, parity with infra/template.yaml (installs the pinned npm packages with npm ci; needs
## Node.js 20+; offline, no AWS account).
cdk:
	bash infra/cdk/check.sh

## Deploys infra/template.yaml to your AWS account (needs credentials; asks for the parameters).
deploy: package
	bash infra/lint.sh
	cd infra && export PATH="$(CURDIR)/.venv-cl/bin:$(CURDIR)/.venv-infra/bin:$$PATH" SAM_CLI_TELEMETRY=0 && \
		sam build --beta-features && sam deploy --guided

## Deploys infra/hybrid/template.yaml (Descope as OIDC provider of an existing pool + the linker,
## and the password check when PasswordCheckHmacSecretArn is given).
deploy-hybrid:
	bash authorizers/package.sh presignup-linker password-check session-exchange
	bash infra/lint.sh
	cd infra/hybrid && export PATH="$(CURDIR)/.venv-cl/bin:$(CURDIR)/.venv-infra/bin:$$PATH" SAM_CLI_TELEMETRY=0 && \
		sam build --beta-features && sam deploy --guided

## The functions' arm64 Lambda zips (installs cargo-lambda and zig into .venv-cl).
package:
	bash authorizers/package.sh

## Static (musl) Linux x86_64 and arm64 binaries of cognito-to-descope, archives with completions and
## the man page, and SHA256SUMS, into target/release-artifacts/ (installs cargo-zigbuild and zig
## into .venv-cl). Not part of `make test`: two optimized builds take minutes.
release: toolchain
	bash importer/release.sh

bench: toolchain package
	$(CARGO) bench -p descope-jwt --bench verify --locked
	$(CARGO) bench -p authorizer-bench --bench authorizers --locked
	bash tests/moto/install.sh
	$(CARGO) bench -p cognito-to-descope --bench migrate --locked
	$(CARGO) bench -p cognito-to-descope --bench report --locked
	$(CARGO) bench -p bridge-bench --bench bridges --locked

## The whole migration on local stand-ins: moto as Cognito, the emulator as Descope, the real
## importer and authorizer binaries (the latter under a local Lambda Runtime API).
demo: toolchain moto
	$(CARGO) build --locked -p cognito-to-descope -p apigateway-authorizer -p appsync-authorizer -p password-check -p session-exchange --bins
	$(CARGO) run --locked -q -p demo
