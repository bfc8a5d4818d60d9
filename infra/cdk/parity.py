"""The CDK app deploys the authorizers as infra/template.yaml does (run by check.sh).

Compares the synthesized template with the SAM template, resource by resource (the CDK app gives
its main resources the SAM template's logical IDs): the parameters they share are identical; each
authorizer has the same environment, runtime, architecture, handler, memory, timeout and JSON log
format; every function's tracing is the Tracing parameter and its role writes only its own log
group (the X-Ray permissions only behind Tracing = Active, as in the SAM template once it has
them); the REST, HTTP and AppSync authorizers are wired the same way; the GraphQL schema, the
metric filters and the cutover dashboard are the same. Exits 1 listing every difference.

    python parity.py SAM_TEMPLATE CDK_TEMPLATE

With --sar, checks the stack synthesized with -c sarApplicationId against the SAR template
(infra/sar/template.yaml) instead: it passes only parameters the application has, every one the
application requires, values the application allows, and reads only outputs the application has.

    python parity.py --sar SAR_TEMPLATE CDK_SAR_TEMPLATE

With --references, only checks that every reference in a template resolves (the first check of
both modes above).

    python parity.py --references CDK_TEMPLATE
"""

import json
import re
import sys

from cfnlint.decode import decode

# Parameters of the SAM template the CDK app leaves out: the zero-code JWT authorizer option.
SAM_ONLY = {"UseBuiltInJwtAuthorizer", "JwtIssuer"}
FUNCTIONS = {
    "ApiGatewayAuthorizerFunction": ("ApiGatewayAuthorizerRole", "ApiGatewayAuthorizerLogs"),
    "AppSyncAuthorizerFunction": ("AppSyncAuthorizerRole", "AppSyncAuthorizerLogs"),
    "EchoFunction": ("EchoRole", "EchoLogs"),
}
AUTHORIZERS = ("ApiGatewayAuthorizerFunction", "AppSyncAuthorizerFunction")
XRAY = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def load(path):
    template, matches = decode(path)
    if matches:
        sys.exit(f"parity: cannot read {path}: {matches}")
    return json.loads(json.dumps(template))  # plain dicts and lists


def canon(value):
    """CloudFormation reads numbers as strings (60 and "60" are one default); folded YAML ends in a newline."""
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def check(sam, cdk):
    problems = check_references(cdk)
    sam_params, cdk_params = sam["Parameters"], cdk["Parameters"]
    for name in sorted(set(sam_params) - SAM_ONLY):
        if name not in cdk_params:
            problems.append(f"parameter {name} is missing")
            continue
        for key in sorted(set(sam_params[name]) | set(cdk_params[name])):
            a, b = canon(sam_params[name].get(key)), canon(cdk_params[name].get(key))
            if a != b:
                problems.append(f"parameter {name}.{key}: SAM {a!r}, CDK {b!r}")

    sam_res, cdk_res = sam["Resources"], cdk["Resources"]
    cdk_conditions = cdk.get("Conditions", {})
    globals_ = sam.get("Globals", {}).get("Function", {})
    for fn, (role, logs) in FUNCTIONS.items():
        if fn not in cdk_res:
            problems.append(f"resource {fn} is missing")
            continue
        s, c = {**globals_, **sam_res[fn]["Properties"]}, cdk_res[fn]["Properties"]
        if fn in AUTHORIZERS:
            for key in ("Runtime", "Architectures", "Handler", "MemorySize", "Timeout", "Description"):
                if s.get(key) != c.get(key):
                    problems.append(f"{fn}.{key}: SAM {s.get(key)!r}, CDK {c.get(key)!r}")
            if s["Environment"] != c.get("Environment"):
                problems.append(f"{fn}.Environment differs:\n  SAM {s['Environment']}\n  CDK {c.get('Environment')}")
        # Every function's tracing is the Tracing parameter (in the SAM template too, once it has one).
        if c.get("TracingConfig") != {"Mode": {"Ref": "Tracing"}}:
            problems.append(f"{fn}.TracingConfig is not the Tracing parameter: {c.get('TracingConfig')}")
        if "Tracing" in s and s["Tracing"] != {"Ref": "Tracing"}:
            problems.append(f"{fn}: the SAM template's Tracing is {s['Tracing']!r}, the CDK app's the Tracing parameter")
        if c.get("LoggingConfig", {}).get("LogGroup") != {"Ref": logs}:
            problems.append(f"{fn} does not log to {logs}")
        if s.get("LoggingConfig", {}).get("LogFormat") != c.get("LoggingConfig", {}).get("LogFormat"):
            problems.append(f"{fn}.LoggingConfig.LogFormat differs")
        if c.get("Role") != {"Fn::GetAtt": [role, "Arn"]}:
            problems.append(f"{fn} does not run as {role}")
        cdk_role = cdk_res.get(role, {}).get("Properties", {})
        problems += check_role(cdk_role, role, logs, cdk_conditions)
        sam_conditional = [q for q in sam_res[role]["Properties"].get("Policies", []) if "Fn::If" in q]
        cdk_conditional = [q for q in cdk_role.get("Policies", []) if "Fn::If" in q]
        if sam_conditional and sam_conditional != cdk_conditional:
            problems.append(f"{role}: conditional permissions differ:\n  SAM {sam_conditional}\n  CDK {cdk_conditional}")
        log_group = cdk_res.get(logs, {}).get("Properties", {})
        if log_group.get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
            problems.append(f"{logs}: retention is not LogRetentionDays")
        expected_name = sam_res[logs]["Properties"]["LogGroupName"]["Fn::Sub"]
        if render(log_group.get("LogGroupName")) != expected_name:
            problems.append(f"{logs}: name {render(log_group.get('LogGroupName'))!r}, SAM {expected_name!r}")

    problems += check_apis(sam_res, cdk_res)
    # The cutover metrics and dashboard: the CDK app copies them; the copy must be exact.
    for name, resource in sam_res.items():
        if resource["Type"] in ("AWS::Logs::MetricFilter", "AWS::CloudWatch::Dashboard") and cdk_res.get(name) != resource:
            problems.append(f"{name} ({resource['Type']}) is missing or differs")
    dashboard_url = [t.get("Outputs", {}).get("AuthorizersDashboardUrl", {}).get("Value") for t in (sam, cdk)]
    if dashboard_url[0] != dashboard_url[1]:
        problems.append(f"output AuthorizersDashboardUrl: SAM {dashboard_url[0]}, CDK {dashboard_url[1]}")
    return problems


def render(value):
    """A Fn::Join of strings and Refs as the Fn::Sub text it stands for."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in parts)
    return value


def check_role(props, role, logs, cdk_conditions):
    problems = []
    if props.get("ManagedPolicyArns"):
        problems.append(f"{role} has managed policies: {props['ManagedPolicyArns']}")
    policies = props.get("Policies", [])
    plain = [p for p in policies if "Fn::If" not in p]
    conditional = [p for p in policies if "Fn::If" in p]
    expected = [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": {"Fn::GetAtt": [logs, "Arn"]}}]
    if len(plain) != 1 or plain[0]["PolicyDocument"]["Statement"] != expected:
        problems.append(f"{role}: the unconditional permissions are not exactly writing {logs}: {plain}")
    ok = (len(conditional) == 1 and conditional[0]["Fn::If"][0] == "TracingActive"
          and conditional[0]["Fn::If"][2] == {"Ref": "AWS::NoValue"}
          and [s["Action"] for s in conditional[0]["Fn::If"][1]["PolicyDocument"]["Statement"]] == [XRAY])
    if not ok:
        problems.append(f"{role}: the X-Ray permissions are not exactly {XRAY} behind TracingActive: {conditional}")
    condition = cdk_conditions.get("TracingActive")
    if condition != {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]}:
        problems.append(f"condition TracingActive is not Tracing = Active: {condition}")
    return problems


def of_type(resources, kind):
    return [r["Properties"] for r in resources.values() if r["Type"] == kind]


def check_apis(sam_res, cdk_res):
    problems = []
    rest = of_type(cdk_res, "AWS::ApiGateway::Authorizer")
    want_rest = {"Type": "TOKEN", "IdentitySource": "method.request.header.Authorization",
                 "AuthorizerResultTtlInSeconds": {"Ref": "AuthorizerCacheSeconds"}}
    if len(rest) != 1 or any(rest[0].get(k) != v for k, v in want_rest.items()):
        problems.append(f"REST authorizer is not {want_rest}: {rest}")
    methods = of_type(cdk_res, "AWS::ApiGateway::Method")
    routes = sorted((m["HttpMethod"], m.get("AuthorizationType")) for m in methods)
    if routes != [("ANY", "CUSTOM"), ("GET", "CUSTOM"), ("GET", "CUSTOM")]:
        problems.append(f"REST methods are not GET /me, GET /items, ANY /items/{{id}} behind the authorizer: {routes}")
    http = of_type(cdk_res, "AWS::ApiGatewayV2::Authorizer")
    want_http = {"AuthorizerType": "REQUEST", "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True,
                 "AuthorizerResultTtlInSeconds": 0, "IdentitySource": ["$request.header.Authorization"]}
    if len(http) != 1 or any(http[0].get(k) != v for k, v in want_http.items()):
        problems.append(f"HTTP authorizer is not {want_http}: {http}")
    http_routes = sorted((r["RouteKey"], r.get("AuthorizationType")) for r in of_type(cdk_res, "AWS::ApiGatewayV2::Route"))
    if http_routes != [("ANY /items/{id}", "CUSTOM"), ("GET /items", "CUSTOM"), ("GET /me", "CUSTOM")]:
        problems.append(f"HTTP routes differ: {http_routes}")
    graphql = cdk_res.get("GraphQLApi", {}).get("Properties", {})
    want_gql = {"AuthenticationType": "AWS_LAMBDA",
                "LambdaAuthorizerConfig": {"AuthorizerUri": {"Fn::GetAtt": ["AppSyncAuthorizerFunction", "Arn"]},
                                           "AuthorizerResultTtlInSeconds": {"Ref": "AuthorizerCacheSeconds"}}}
    if any(graphql.get(k) != v for k, v in want_gql.items()):
        problems.append(f"GraphQL API is not {want_gql}: {graphql}")
    schemas = of_type(cdk_res, "AWS::AppSync::GraphQLSchema")
    if len(schemas) != 1 or schemas[0].get("Definition") != sam_res["GraphQLSchema"]["Properties"]["Definition"]:
        problems.append("GraphQL schema differs from the SAM template's")
    # Who may invoke the authorizers: API Gateway for this API's authorizers, AppSync for this API.
    for perm in of_type(cdk_res, "AWS::Lambda::Permission"):
        if perm.get("FunctionName") in ({"Fn::GetAtt": [fn, "Arn"]} for fn in AUTHORIZERS) and "SourceArn" not in perm:
            problems.append(f"an invoke permission of an authorizer has no SourceArn: {perm}")
    return problems


def check_references(template):
    """Every Ref, Fn::GetAtt and Fn::Sub variable names a parameter, a resource or a pseudo
    parameter: cfn-lint does not check references in a template with the SAM transform (the SAR
    source's)."""
    known = set(template.get("Parameters", {})) | set(template["Resources"])
    problems = []

    def walk(value, where, local=frozenset()):
        if isinstance(value, list):
            for item in value:
                walk(item, where, local)
        elif isinstance(value, dict):
            if len(value) == 1:
                (fn, arg), = value.items()
                names = []
                if fn == "Ref" and isinstance(arg, str):
                    names = [arg]
                elif fn == "Fn::GetAtt":
                    names = [arg[0] if isinstance(arg, list) else arg.split(".")[0]]
                elif fn == "Fn::Sub":
                    text, variables = (arg, {}) if isinstance(arg, str) else arg
                    names = [v.split(".")[0] for v in re.findall(r"\$\{([^!}][^}]*)\}", text)]
                    local = local | set(variables)
                for name in names:
                    if not name.startswith("AWS::") and name not in known and name not in local:
                        problems.append(f"{where}: {fn} names {name}, which the template does not have")
            for item in value.values():
                walk(item, where, local)

    for section in ("Resources", "Outputs"):
        for name, body in template.get(section, {}).items():
            walk(body, f"{section}.{name}")
    return problems


def check_sar(sar, cdk):
    problems = check_references(cdk)
    apps = [r for r in cdk["Resources"].values() if r["Type"] == "AWS::Serverless::Application"]
    if len(apps) != 1:
        return [f"expected one AWS::Serverless::Application, found {len(apps)}"]
    passed, declared, cdk_params = apps[0]["Properties"].get("Parameters", {}), sar["Parameters"], cdk["Parameters"]
    for name in sorted(set(declared) - set(passed)):
        if "Default" not in declared[name]:
            problems.append(f"the application's required parameter {name} is not passed")
    for name, value in sorted(passed.items()):
        if name not in declared:
            problems.append(f"parameter {name} is not one of the application's")
            continue
        # What the value can be: a literal, or any value the stack's own parameter allows.
        source = cdk_params.get(value["Ref"], {}) if isinstance(value, dict) and "Ref" in value else {"AllowedValues": [value]}
        allowed = declared[name].get("AllowedValues")
        if allowed is not None and (source.get("AllowedValues") is None
                                    or not set(canon(source["AllowedValues"])) <= set(canon(allowed))):
            problems.append(f"{name}: the application allows {allowed}, the stack may pass {source.get('AllowedValues', 'anything')}")
        for bound, wider in (("MinValue", lambda a, b: float(a) < float(b)), ("MaxValue", lambda a, b: float(a) > float(b))):
            if bound in declared[name] and (bound not in source or wider(source[bound], declared[name][bound])):
                problems.append(f"{name}: the application's {bound} is {declared[name][bound]}, the stack's {source.get(bound)}")
    outputs = set(sar.get("Outputs", {}))
    for read in sorted(set(re.findall(r'"Outputs\.(\w+)"', json.dumps(cdk)))):
        if read not in outputs:
            problems.append(f"the stack reads output {read}, which the application does not have")
    return problems


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--references":
        problems, against = check_references(load(sys.argv[2])), "its own resources and parameters"
    elif len(sys.argv) == 4 and sys.argv[1] == "--sar":
        problems, against = check_sar(load(sys.argv[2]), load(sys.argv[3])), sys.argv[2]
    elif len(sys.argv) == 3:
        problems, against = check(load(sys.argv[1]), load(sys.argv[2])), sys.argv[1]
    else:
        sys.exit(__doc__)
    if problems:
        print(f"parity: the CDK app differs from {against}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        sys.exit(1)
    if sys.argv[1] == "--references":
        print(f"parity: every reference in {sys.argv[2]} resolves")
    elif sys.argv[1] == "--sar":
        print(f"parity: the SAR source passes parameters and reads outputs {against} has, and every reference resolves")
    else:
        print(f"parity: parameters, environments, roles, API wiring, schema, metric filters and dashboard match {against}")


if __name__ == "__main__":
    main()
