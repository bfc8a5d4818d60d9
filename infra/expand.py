"""Expands a SAM template to plain CloudFormation with the SAM translator, so cfn-lint can check
references (cfn-lint skips reference checks on SAM templates). Usage: expand.py IN.yaml OUT.json

Local CodeUri values are replaced by a placeholder S3 URI, as `sam package` would, because the
translator only accepts S3 locations; nothing is uploaded or fetched.
"""

import json
import sys

from samtranslator.public.translator import ManagedPolicyLoader  # noqa: F401 (API check)
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs; offline, there are none to resolve."""

    def load(self):
        return {}


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = "s3://placeholder-bucket/code.zip"
    expanded = transform(template, {}, NoManagedPolicies())
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(expanded, f, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
