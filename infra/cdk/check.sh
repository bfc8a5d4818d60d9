#!/usr/bin/env bash
# Checks the CDK app offline (behind `make cdk`, part of `make test`):
#   1. installs the pinned npm packages with `npm ci` when node_modules is missing or was installed
#      from another package-lock.json (as infra/lint.sh installs its pinned Python tools), and
#      cfn-lint into .venv-infra when it is not there;
#   2. type-checks the app (tsc --noEmit);
#   3. `cdk synth --strict` with each code source: S3 parameters (the default), a directory of
#      zips (-c codeDir, stand-in zips), the SAR application (-c sarApplicationId, a placeholder
#      ARN): cdk-nag's AwsSolutions rules run on every synth, and any finding not acknowledged
#      with a reason in lib/authorizers-stack.ts (or any warning: --strict) fails it;
#   4. cfn-lint (the pinned one in .venv-infra) on the three synthesized templates;
#   5. parity.py: the same parameters, environments, least-privilege roles, API wiring, metric
#      filters and dashboard as infra/template.yaml; with the SAR source, only parameters and
#      outputs that infra/sar/template.yaml has; and no reference to anything a template lacks;
# then proves that steps 3 and 5 can fail (a planted nag finding, a planted environment drift, a
# planted dangling reference).
#
# Nothing here reaches AWS: the stack is environment-agnostic, the AWS CLI settings point at empty
# files, instance metadata is off, no credentials are set, and where the kernel allows it the
# synths run in a network namespace of their own (loopback only).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$HERE"

command -v node >/dev/null && command -v npm >/dev/null \
    || { echo "cdk: node and npm not found: install Node.js 20 or newer" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
(( major >= 20 )) || { echo "cdk: Node.js $(node --version) is too old: aws-cdk-lib needs 20 or newer" >&2; exit 1; }

# 1. Pinned packages: reinstalled when package-lock.json changed since the last install.
stamp=node_modules/.package-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "cdk: npm ci (pinned by infra/cdk/package-lock.json)"
    # No install scripts: none of the packages needs one (esbuild's only checks its binary).
    npm ci --no-audit --no-fund --no-update-notifier --ignore-scripts --loglevel=error
    echo "$want" > "$stamp"
fi
if ! "$ROOT/.venv-infra/bin/cfn-lint" --version 2>/dev/null | grep -q '1.58.0'; then
    [[ -x "$ROOT/.venv-infra/bin/python" ]] || "$PYTHON" -m venv "$ROOT/.venv-infra"
    "$ROOT/.venv-infra/bin/python" -m pip install --quiet --disable-pip-version-check 'cfn-lint==1.58.0'
fi

work="$(mktemp -d)"
# Ends the synths this script started in the background, if it stops early.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Offline and account-free: no notices, version check or telemetry; no credentials or profiles for
# the CLI's default-account lookup to find (it then skips it), and no instance metadata service.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
: > "$work/aws-config"
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-config" \
    AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
# A well-formed ARN of no real application: synth only writes it into the template.
SAR_PLACEHOLDER=arn:aws:serverlessrepo:us-east-1:123456789012:applications/descope-authorizers
isolate=()
if unshare --net true 2>/dev/null; then
    isolate=(unshare --net)
else
    echo "cdk: no network namespace here (unshare --net refused); synthesizing with the network unused but present"
fi
synth() { # output dir, then extra cdk arguments
    local out="$1"; shift
    "${isolate[@]}" node_modules/.bin/cdk synth --no-notices --strict --quiet --output "$out" "$@"
}

# 2. Types.
node_modules/.bin/tsc -p .
echo "cdk: tsc --noEmit passes"

# 3. Synth + cdk-nag, each code source, and the nag self-test's synth below: they run at once
# (each is mostly loading aws-cdk-lib on one core). The stand-in zips only need to exist: CDK
# stages them as assets, nothing runs them.
for package in apigateway-authorizer appsync-authorizer; do
    mkdir -p "$work/zips/$package"
    "$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("bootstrap", "#!/bin/sh\n")' \
        "$work/zips/$package/bootstrap.zip"
done
synth "$work/s3" > "$work/s3.log" 2>&1 & s3_synth=$!
synth "$work/dir" -c codeDir="$work/zips" > "$work/dir.log" 2>&1 & dir_synth=$!
synth "$work/sar" -c sarApplicationId="$SAR_PLACEHOLDER" -c sarVersion=0.1.0 > "$work/sar.log" 2>&1 & sar_synth=$!
synth "$work/planted" -c plantNagViolation=1 > "$work/planted.log" 2>&1 & planted_synth=$!
wait "$s3_synth" || { cat "$work/s3.log"; echo "cdk: synth failed" >&2; exit 1; }
wait "$dir_synth" || { cat "$work/dir.log"; echo "cdk: synth with -c codeDir failed" >&2; exit 1; }
wait "$sar_synth" || { cat "$work/sar.log"; echo "cdk: synth with -c sarApplicationId failed" >&2; exit 1; }
"$PYTHON" - "$work/s3/DescopeAuthorizers.template.json" "$work/dir/DescopeAuthorizers.template.json" <<'PY'
import json, sys
s3, asset = (json.load(open(path))["Resources"] for path in sys.argv[1:])
for fn in ("ApiGatewayAuthorizer", "AppSyncAuthorizer"):
    code = s3[f"{fn}Function"]["Properties"]["Code"]
    if code != {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": f"{fn}CodeKey"}}:
        sys.exit(f"cdk: {fn}'s code is not taken from the CodeBucket and {fn}CodeKey parameters: {code}")
    code = asset[f"{fn}Function"]["Properties"]["Code"]
    if "cdk-hnb659fds-assets" not in json.dumps(code):
        sys.exit(f"cdk: with -c codeDir, {fn}'s code is not a CDK asset: {code}")
PY
echo "cdk: cdk synth --strict passes cdk-nag AwsSolutions (code from S3 parameters, -c codeDir, -c sarApplicationId)"

# 4. cfn-lint on what CDK wrote.
"$ROOT/.venv-infra/bin/cfn-lint" "$work"/{s3,dir,sar}/DescopeAuthorizers.template.json
echo "cdk: cfn-lint passes the three synthesized templates"

# 5. Same deployment as the SAM template; the SAR source fits the SAR template.
"$ROOT/.venv-infra/bin/python" parity.py "$ROOT/infra/template.yaml" "$work/s3/DescopeAuthorizers.template.json"
if [[ -e "$ROOT/infra/sar/template.yaml" ]]; then
    "$ROOT/.venv-infra/bin/python" parity.py --sar "$ROOT/infra/sar/template.yaml" "$work/sar/DescopeAuthorizers.template.json"
else
    echo "cdk: infra/sar/template.yaml is not in this checkout: the SAR source's parameters and outputs are unchecked" >&2
    "$ROOT/.venv-infra/bin/python" parity.py --references "$work/sar/DescopeAuthorizers.template.json"
fi

# Self-test: a resource breaking an AwsSolutions rule, with no acknowledgment, must fail the synth,
# and for that reason (the planted bucket's missing access logs), not for another.
if wait "$planted_synth"; then
    echo "cdk: self-test failed: an unacknowledged cdk-nag finding did not fail the synth" >&2
    exit 1
fi
if ! grep -q 'AwsSolutions-S1' "$work/planted.log" || ! grep -q 'PlantedNagViolation' "$work/planted.log"; then
    cat "$work/planted.log"
    echo "cdk: self-test failed: the synth failed, but not on the planted finding" >&2
    exit 1
fi
echo "cdk: self-test passed (an unacknowledged cdk-nag finding fails the synth)"

# Self-test: parity.py catches an authorizer environment that drifted from the SAM template's.
"$PYTHON" - "$work/s3/DescopeAuthorizers.template.json" "$work/drift.json" <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
template["Resources"]["AppSyncAuthorizerFunction"]["Properties"]["Environment"]["Variables"].pop("DESCOPE_AUDIENCE")
json.dump(template, open(sys.argv[2], "w"))
PY
if "$ROOT/.venv-infra/bin/python" parity.py "$ROOT/infra/template.yaml" "$work/drift.json" > /dev/null 2>&1; then
    echo "cdk: self-test failed: parity.py missed a dropped environment variable" >&2
    exit 1
fi
echo "cdk: self-test passed (parity.py catches an environment that drifted from infra/template.yaml)"

# Self-test: with the SAR source the dashboard names the functions through the application's
# outputs; a dashboard still naming a function of this stack (there is none) must be caught, which
# cfn-lint does not do in a template with the SAM transform.
"$PYTHON" - "$work/sar/DescopeAuthorizers.template.json" "$work/dangling.json" <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
body = template["Resources"]["AuthorizersDashboard"]["Properties"]["DashboardBody"]
body["Fn::Sub"] = body["Fn::Sub"][0]  # the text alone, without the variables naming the outputs
json.dump(template, open(sys.argv[2], "w"))
PY
if "$ROOT/.venv-infra/bin/python" parity.py --references "$work/dangling.json" > /dev/null 2>&1; then
    echo "cdk: self-test failed: parity.py missed a reference to a resource the template does not have" >&2
    exit 1
fi
echo "cdk: self-test passed (parity.py catches a dangling reference in the SAR source's template)"
