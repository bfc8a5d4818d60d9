#!/usr/bin/env bash
# Lints every CloudFormation/SAM template in infra/ offline, in four ways (each catches what the
# others miss): cfn-lint; `sam validate --lint`; cfn-lint on the template expanded to plain
# CloudFormation by the SAM translator (the only one that catches dangling !Ref/!GetAtt); and
# checkov, on the SAM and the expanded template, with the justified skip list in
# infra/.checkov.yaml. The SAR application's metadata is checked against Cargo.toml
# (infra/sar/check.py).
# Installs pinned tools into .venv-infra (cfn-lint, SAM CLI) and .venv-checkov (checkov: its
# dependencies conflict with SAM CLI's). Exits non-zero on the first finding.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 BC_SKIP_MAPPING=TRUE

install() { # venv, then pip requirements
    local venv="$1"; shift
    [[ -x "$venv/bin/python" ]] || "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}
if ! "$ROOT/.venv-infra/bin/cfn-lint" --version 2>/dev/null | grep -q '1.58.0' \
    || ! "$ROOT/.venv-infra/bin/sam" --version 2>/dev/null | grep -q '1.170.0'; then
    install "$ROOT/.venv-infra" 'cfn-lint==1.58.0' 'aws-sam-cli==1.170.0'
fi
if ! "$ROOT/.venv-checkov/bin/checkov" --version 2>/dev/null | grep -q '3.3.30'; then
    install "$ROOT/.venv-checkov" 'checkov==3.3.30'
fi

templates=("$ROOT"/infra/template.yaml)
for extra in "$ROOT"/infra/*/template.yaml; do
    [[ -e "$extra" ]] && templates+=("$extra")
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for template in "${templates[@]}"; do
    name="${template#"$ROOT"/}"
    echo "infra: $name"
    "$ROOT/.venv-infra/bin/cfn-lint" "$template"
    "$ROOT/.venv-infra/bin/sam" validate --lint --region us-east-1 -t "$template" >/dev/null
    "$ROOT/.venv-infra/bin/python" "$ROOT/infra/expand.py" "$template" "$work/expanded.json"
    "$ROOT/.venv-infra/bin/cfn-lint" "$work/expanded.json"
    # X-Ray: every function follows the Tracing parameter, and its role (explicit, so SAM adds
    # nothing to it) gets exactly the two X-Ray write actions, only under TracingActive.
    "$ROOT/.venv-infra/bin/python" - "$work/expanded.json" "$name" <<'PY'
import json, sys
resources = json.load(open(sys.argv[1], encoding="utf-8"))["Resources"]
xray = {"Fn::If": ["TracingActive", {"PolicyName": "write-traces", "PolicyDocument": {
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]}]}}, {"Ref": "AWS::NoValue"}]}
functions = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
for name, props in functions.items():
    role = props["Role"]["Fn::GetAtt"][0]
    if props.get("TracingConfig") != {"Mode": {"Ref": "Tracing"}} or xray not in resources[role]["Properties"]["Policies"]:
        sys.exit(f"infra: {sys.argv[2]}: {name} must follow the Tracing parameter and {role} grant X-Ray writes under TracingActive")
PY
    # checkov on the SAM form and on the expanded form: resources SAM generates (a function URL,
    # its permissions) exist only in the latter.
    for form in "$template" "$work/expanded.json"; do
        "$ROOT/.venv-checkov/bin/checkov" -f "$form" --framework cloudformation --compact --quiet \
            --skip-download --config-file "$ROOT/infra/.checkov.yaml" >/dev/null \
            || { "$ROOT/.venv-checkov/bin/checkov" -f "$form" --framework cloudformation --compact \
                    --quiet --skip-download --config-file "$ROOT/infra/.checkov.yaml"; exit 1; }
    done
done
echo "infra: ${#templates[@]} template(s) pass cfn-lint, sam validate --lint, expanded cfn-lint and checkov (SAM and expanded)"

# The SAR application (infra/sar/template.yaml): its metadata cannot drift from Cargo.toml (version,
# license, repository), its LICENSE and README exist, SAR's limits hold (what `sam publish` would
# only find out online), and its functions run the zips of `make package` with documented settings.
for template in "${templates[@]}"; do
    grep -q 'AWS::ServerlessRepo::Application' "$template" || continue
    "$ROOT/.venv-infra/bin/python" "$ROOT/infra/sar/check.py" "$ROOT" "$template"
done
# Self-test: each planted drift is caught on its own.
for drift in 's/^\(    SemanticVersion:\).*/\1 0.0.0-drifted/' 's/^\(    LicenseUrl:\).*/\1 ..\/..\/LICENCE/' \
    's/^\(    ReadmeUrl:\).*/\1 READ.md/' 's/AUTHZ_MAX_TTL_SECONDS:/AUTHZ_MAX_TTL_SECOND:/'; do
    sed "$drift" "$ROOT/infra/sar/template.yaml" > "$work/sar-drift.yaml"
    if cmp -s "$ROOT/infra/sar/template.yaml" "$work/sar-drift.yaml" \
        || "$ROOT/.venv-infra/bin/python" "$ROOT/infra/sar/check.py" "$ROOT" "$work/sar-drift.yaml" "$ROOT/infra/sar" >/dev/null 2>&1; then
        echo "infra: self-test failed: the SAR check missed the drift $drift" >&2
        exit 1
    fi
done
echo "infra: self-test passed (a drifted SAR version, a missing LICENSE or README, an undocumented setting are caught)"

# Self-test: the chain must catch a dangling reference, which plain cfn-lint and sam validate miss
# on SAM templates. If this passes, the chain above could not be trusted either.
sed 's/!GetAtt ApiGatewayAuthorizerFunction.Arn/!GetAtt ApiGatewayAuthorizerFunctionTypo.Arn/' \
    "$ROOT/infra/template.yaml" > "$work/broken.yaml"
"$ROOT/.venv-infra/bin/python" "$ROOT/infra/expand.py" "$work/broken.yaml" "$work/broken.json" 2>/dev/null || true
if [[ -s "$work/broken.json" ]] && "$ROOT/.venv-infra/bin/cfn-lint" "$work/broken.json" >/dev/null 2>&1; then
    echo "infra: self-test failed: a dangling !GetAtt went unnoticed" >&2
    exit 1
fi
echo "infra: self-test passed (a dangling !GetAtt is caught)"

# Self-test: the chain checks the metric filters' properties too (the dashboard body is JSON inside
# a !Sub string, which cfn-lint cannot see into: the Rust test `the_dashboard_plots_exactly_the_
# metrics_the_filters_publish` parses it).
sed 's/MetricName: Latency/MetricNam: Latency/' "$ROOT/infra/template.yaml" > "$work/broken-metric.yaml"
if "$ROOT/.venv-infra/bin/cfn-lint" "$work/broken-metric.yaml" >/dev/null 2>&1; then
    echo "infra: self-test failed: a misspelled metric filter property went unnoticed" >&2
    exit 1
fi
echo "infra: self-test passed (a misspelled metric filter property is caught)"

# Self-test: checkov sees what SAM generates (the password check's function URL exists only in the
# expanded template): without its skip, the URL's AuthType NONE must be reported.
"$ROOT/.venv-infra/bin/python" "$ROOT/infra/expand.py" "$ROOT/infra/hybrid/template.yaml" "$work/hybrid.json"
"$ROOT/.venv-checkov/bin/checkov" -f "$work/hybrid.json" --framework cloudformation --compact --quiet \
    --skip-download --check CKV_AWS_258 > "$work/url-check.txt" 2>&1 || true
if ! grep -q 'FAILED for resource: AWS::Lambda::Url' "$work/url-check.txt"; then
    echo "infra: self-test failed: the function URL's AuthType NONE went unnoticed" >&2
    exit 1
fi
echo "infra: self-test passed (a function URL without IAM auth is caught)"

# The bridges' environments in the hybrid template name only settings each function reads (a
# misspelled optional one would be ignored silently) and every required one (else its cold start
# stops); their secret settings (SECRET_SETTINGS in config.rs) only as NAME_REF references, never
# in plain text (the functions refuse plain secrets when deployed). The session exchange also reads
# the authorizers' verifier settings (authorizers/common/src/verifier_settings.rs).
"$ROOT/.venv-infra/bin/python" - "$ROOT" <<'PY'
import re, sys
from samtranslator.yaml_helper import yaml_parse
root = sys.argv[1]
resources = yaml_parse(open(f"{root}/infra/hybrid/template.yaml", encoding="utf-8").read())["Resources"]
functions = [
    ("the password check", "PasswordCheckFunction", ["bridges/password-check/src/config.rs"]),
    ("the session exchange", "SessionExchangeFunction",
     ["bridges/session-exchange/src/config.rs", "authorizers/common/src/verifier_settings.rs"]),
]
for label, resource, sources in functions:
    config = "\n".join(open(f"{root}/{path}", encoding="utf-8").read() for path in sources)
    variables = set(resources[resource]["Properties"]["Environment"]["Variables"])
    read = set(re.findall(r'(?:required|(?:env|self)\s*\.(?:get|flag|seconds|url|pool_pairs))\(\s*"([A-Z0-9_]+)"', config))
    # Only the function's own config.rs says what is required.
    own = open(f"{root}/{sources[0]}", encoding="utf-8").read()
    required = set(re.findall(r'required\("([A-Z0-9_]+)"\)', own))
    secret_list = re.search(r'pub const SECRET_SETTINGS: &\[&str\] = &\[(.*?)\];', own, re.S)
    secrets = set(re.findall(r'"([A-Z0-9_]+)"', secret_list.group(1))) if secret_list else set()
    plain = variables & secrets
    settings = {v[: -len("_REF")] if v.endswith("_REF") and v[: -len("_REF")] in secrets else v for v in variables}
    unknown, missing = settings - read, required - settings
    if unknown or missing or plain or not required or not secrets or not secrets <= read:
        sys.exit(f"infra: {label}'s environment: unknown {sorted(unknown)}, missing {sorted(missing)}, "
                 f"secrets in plain text {sorted(plain)} (SECRET_SETTINGS found: {sorted(secrets)})")
    print(f"infra: {label}'s environment sets {len(variables)} of the {len(read)} settings it reads, "
          f"every required one, its secrets only as references ({', '.join(sorted(v for v in variables if v.endswith('_REF')))})")
PY
