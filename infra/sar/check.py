"""Checks what `sam publish` would only find out online, and what must not drift from the
workspace, in a template carrying `AWS::ServerlessRepo::Application` metadata:

- SemanticVersion is the workspace version, SpdxLicenseId its license, and HomePageUrl and
  SourceCodeUrl its `repository` (Cargo.toml's [workspace.package]);
- LicenseUrl and ReadmeUrl name files that exist (relative to the template, as `sam package`
  resolves them);
- Name, Author, Description and Labels keep the Serverless Application Repository's limits
  (CreateApplication API reference: lengths and patterns);
- every parameter has a Description (the SAR console shows nothing else about it);
- every function's CodeUri is the zip `make package` builds for a workspace package
  (target/lambda/<package>/bootstrap.zip), and each variable of its environment is a setting
  that package's README documents (a misspelled optional setting would be ignored silently).

Usage: check.py ROOT TEMPLATE [BASE_DIR]   (BASE_DIR: where relative paths start; default the
template's folder). Prints one line, or the problems and exits 1.
"""

import os
import re
import sys
import tomllib

from samtranslator.yaml_helper import yaml_parse

# The SAR API's limits (AWS Serverless Application Repository API reference, CreateApplication).
NAME = re.compile(r"[a-zA-Z0-9\-]{1,140}")
AUTHOR = re.compile(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?")
LABEL = re.compile(r"[a-zA-Z0-9+\-_:/@]{1,127}")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def workspace(root):
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        cargo = tomllib.load(f)
    packages = {}
    for member in cargo["workspace"]["members"]:
        with open(os.path.join(root, member, "Cargo.toml"), "rb") as f:
            packages[tomllib.load(f)["package"]["name"]] = member
    return cargo["workspace"]["package"], packages


def problems(root, template_path, base):
    package, packages = workspace(root)
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    app = template.get("Metadata", {}).get("AWS::ServerlessRepo::Application")
    if not app:
        return ["no AWS::ServerlessRepo::Application metadata"]
    found = []

    def expect(key, wanted, where):
        if app.get(key) != wanted:
            found.append(f"{key} is {app.get(key)!r}, but {where} says {wanted!r}")

    expect("SemanticVersion", package["version"], "Cargo.toml's workspace version")
    expect("SpdxLicenseId", package["license"], "Cargo.toml's workspace license")
    expect("HomePageUrl", package["repository"], "Cargo.toml's workspace repository")
    expect("SourceCodeUrl", package["repository"], "Cargo.toml's workspace repository")
    if not SEMVER.fullmatch(str(app.get("SemanticVersion", ""))):
        found.append(f"SemanticVersion {app.get('SemanticVersion')!r} is not a semantic version")
    for key in ("LicenseUrl", "ReadmeUrl"):
        path = app.get(key)
        if not isinstance(path, str) or not os.path.isfile(os.path.join(base, path)):
            found.append(f"{key} {path!r} names no file (relative to {base})")
    if not NAME.fullmatch(str(app.get("Name", ""))):
        found.append(f"Name {app.get('Name')!r}: 1-140 letters, digits and '-'")
    author = str(app.get("Author", ""))
    if not (len(author) <= 127 and AUTHOR.fullmatch(author)):
        found.append(f"Author {author!r}: lower-case letters, digits and single inner '-', up to 127")
    description = str(app.get("Description", ""))
    if not 1 <= len(description) <= 256:
        found.append(f"Description is {len(description)} characters (1-256)")
    labels = app.get("Labels", [])
    if len(labels) > 10 or not all(LABEL.fullmatch(str(label)) for label in labels):
        found.append(f"Labels {labels!r}: at most 10, each 1-127 of letters, digits and +-_:/@")

    for name, parameter in template.get("Parameters", {}).items():
        if not str(parameter.get("Description", "")).strip():
            found.append(f"parameter {name} has no Description")

    zips = os.path.join(root, "target", "lambda")
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        code = os.path.normpath(os.path.join(base, str(properties.get("CodeUri", ""))))
        relative = os.path.relpath(code, zips).split(os.sep)
        if len(relative) != 2 or relative[0] not in packages or relative[1] != "bootstrap.zip":
            found.append(f"{name}'s CodeUri is not target/lambda/<workspace package>/bootstrap.zip (make package)")
            continue
        with open(os.path.join(root, packages[relative[0]], "README.md"), encoding="utf-8") as f:
            documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", f.read()))
        variables = properties.get("Environment", {}).get("Variables", {})
        unknown = sorted(set(variables) - documented)
        if unknown:
            found.append(f"{name} sets {unknown}, which {packages[relative[0]]}/README.md does not document")
    return found


def main(root, template_path, base=None):
    base = base or os.path.dirname(os.path.abspath(template_path))
    found = problems(root, template_path, base)
    name = os.path.relpath(template_path, root)
    if found:
        sys.exit(f"infra: {name}: " + "; ".join(found))
    print(f"infra: {name}: SAR metadata matches Cargo.toml (version, license, repository), "
          "its LICENSE and README exist, SAR's limits kept, every parameter described, code from make package, "
          "only documented settings")


if __name__ == "__main__":
    main(*sys.argv[1:])
