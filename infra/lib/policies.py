"""Each function's effective IAM policy, read from template.yaml as AWS would build it.

The template goes through AWS SAM's own translator (aws-sam-translator, the library `sam
deploy` uses), so the role of each `AWS::Serverless::Function` is exactly the one
CloudFormation would create: its inline policies (policy templates expanded), the managed
policies SAM attaches (AWSLambdaBasicExecutionRole, AWSLambdaSQSQueueExecutionRole for an SQS
event, AWSXrayWriteOnlyAccess for tracing), and any `AWS::IAM::Policy` attached to the role.
The intrinsics in those statements (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
`Fn::Join`, `Fn::If`) are then resolved against a stack's real names: the local stack's, which
the dev server passes (`context`), so the statements name the resources it created.

    python infra/lib/policies.py [template.yaml]

prints every function's statements, resolved against placeholder names (`<Table>`), to read
what a role may do.
"""

import copy
import functools
import json
import os
import sys
from typing import Any

# The AWS managed policies SAM attaches, as AWS publishes them. An unknown one is an error:
# its statements must be added here before the local stack can tell what it allows.
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}


class PolicyError(Exception):
    pass


class _NoManagedPolicyNames:
    """SAM asks IAM for managed policy names only when a template names one by name."""

    def load(self) -> dict[str, str]:
        return {name: f"arn:aws:iam::aws:policy/{name}" for name in MANAGED_POLICIES}


@functools.lru_cache(maxsize=8)
def translate(template_text: str, region: str) -> dict[str, Any]:
    """The CloudFormation template SAM makes of `template_text` (kept: every test stack
    registers the same template, and the translation takes most of a second)."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(template_text)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            props = resource.setdefault("Properties", {})
            # What `sam package` puts there; the code itself plays no part in the policies.
            if props.get("PackageType") == "Image":
                props["ImageUri"] = "123456789012.dkr.ecr.local.amazonaws.com/local:latest"
            else:
                props["CodeUri"] = "s3://local/code.zip"
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return transform(template, {}, _NoManagedPolicyNames())
    except Exception as e:  # the translator's own errors name the resource at fault
        raise PolicyError(f"aws-sam-translator: {e}") from e
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


class Resolver:
    """Intrinsic functions of a policy, against a stack's names.

    `context`: {"parameters": {name: value}, "pseudo": {"AWS::Region": ...},
    "refs": {logical id: Ref value}, "arns": {logical id: Arn}}.
    """

    def __init__(self, template: dict[str, Any], context: dict[str, Any]):
        self.template = template
        self.parameters = dict(context.get("parameters", {}))
        for name, spec in template.get("Parameters", {}).items():
            if name not in self.parameters and isinstance(spec, dict) and "Default" in spec:
                self.parameters[name] = spec["Default"]
        self.pseudo = context.get("pseudo", {})
        self.refs = context.get("refs", {})
        self.arns = context.get("arns", {})

    def ref(self, name: str) -> Any:
        for table in (self.parameters, self.pseudo, self.refs):
            try:
                return table[name]
            except KeyError:
                continue
        raise PolicyError(f"unresolved reference {name}")

    def get_att(self, spec: Any) -> str:
        logical_id, attribute = spec.split(".", 1) if isinstance(spec, str) else spec
        if attribute == "Arn":
            try:
                return self.arns[logical_id]
            except KeyError:
                pass
        raise PolicyError(f"unresolved attribute {logical_id}.{attribute}")

    def condition(self, name: str) -> bool:
        spec = self.template.get("Conditions", {}).get(name)
        if spec is None:
            raise PolicyError(f"unknown condition {name}")
        return bool(self.value(spec))

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        out, rest = [], text
        while "${" in rest:
            start = rest.index("${")
            end = rest.index("}", start)
            out.append(rest[:start])
            name = rest[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(self.value(variables[name])))
            elif "." in name and not name.startswith("AWS::"):
                out.append(self.get_att(name))
            else:
                out.append(str(self.ref(name)))
            rest = rest[end + 1 :]
        out.append(rest)
        return "".join(out)

    def value(self, v: Any) -> Any:
        if isinstance(v, list):
            return [x for x in (self.value(i) for i in v) if x is not _NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if fn == "Fn::GetAtt":
                return self.get_att(arg)
            if fn == "Fn::Sub":
                if isinstance(arg, list):
                    return self.sub(arg[0], arg[1])
                return self.sub(arg, {})
            if fn == "Fn::Join":
                return arg[0].join(str(x) for x in self.value(arg[1]))
            if fn == "Fn::Select":
                return self.value(arg[1])[int(self.value(arg[0]))]
            if fn == "Fn::Split":
                return str(self.value(arg[1])).split(arg[0])
            if fn == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if fn == "Fn::Equals":
                return self.value(arg[0]) == self.value(arg[1])
            if fn == "Fn::Not":
                return not self.value(arg[0])
            if fn == "Fn::And":
                return all(self.value(a) for a in arg)
            if fn == "Fn::Or":
                return any(self.value(a) for a in arg)
            if fn == "Condition":
                return self.condition(arg)
            if fn.startswith("Fn::"):
                raise PolicyError(f"unsupported intrinsic {fn}")
        return {k: r for k, r in ((k, self.value(x)) for k, x in v.items()) if r is not _NO_VALUE}


_NO_VALUE = object()


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _normalise(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": statement.get("Effect", "Allow")}
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement:
            out[key] = [str(x) for x in _as_list(statement[key])]
    if "Condition" in statement:
        out["Condition"] = statement["Condition"]
    if "Sid" in statement:
        out["Sid"] = statement["Sid"]
    return out


def _role_of(function: dict[str, Any]) -> str:
    role = function.get("Properties", {}).get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        target = role["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else target.split(".")[0]
    raise PolicyError("a function's Role is neither made by SAM nor !GetAtt of a role of the template")


def effective(template_text: str, context: dict[str, Any], region: str | None = None) -> dict[str, dict[str, Any]]:
    """{function logical id: {"role": role logical id, "statements": [...]}}, every statement
    with its intrinsics resolved against `context`."""
    region = region or context.get("pseudo", {}).get("AWS::Region", "eu-west-3")
    cfn = translate(template_text, region)
    resources = cfn.get("Resources", {})
    resolver = Resolver(cfn, context)
    out: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role_id = _role_of(resource)
        role = resources.get(role_id, {})
        documents = [p.get("PolicyDocument", {}) for p in role.get("Properties", {}).get("Policies", [])]
        for other in resources.values():
            if other.get("Type") == "AWS::IAM::Policy":
                roles = other.get("Properties", {}).get("Roles", [])
                if {"Ref": role_id} in roles:
                    documents.append(other["Properties"].get("PolicyDocument", {}))
        statements = []
        for document in documents:
            resolved = resolver.value(copy.deepcopy(document))
            statements.extend(_normalise(s) for s in _as_list(resolved.get("Statement", [])))
        for arn in resolver.value(role.get("Properties", {}).get("ManagedPolicyArns", [])):
            name = str(arn).rsplit("/", 1)[-1]
            if name not in MANAGED_POLICIES:
                raise PolicyError(f"{logical_id}: managed policy {arn} is not known to infra/lib/policies.py")
            statements.extend(_normalise(s) for s in MANAGED_POLICIES[name])
        out[logical_id] = {"role": role_id, "statements": statements}
    return out


def role_arn(account: str, stack: str, role_id: str) -> str:
    """A role's ARN as the local stack names it (permissions.Principal uses the same)."""
    return f"arn:aws:iam::{account}:role/{stack}-{role_id}"


def bucket_policies(template_text: str, context: dict[str, Any], region: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """{bucket name: its bucket policy's statements, Principal kept}, resolved against
    `context`; a role of the template (`!GetAtt XFunctionRole.Arn`) is named as
    `role_arn` names it."""
    region = region or context.get("pseudo", {}).get("AWS::Region", "eu-west-3")
    cfn = translate(template_text, region)
    resources = cfn.get("Resources", {})
    pseudo = context.get("pseudo", {})
    arns = copy.copy(context.get("arns", {}))
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::IAM::Role":
            arns.setdefault(logical_id, role_arn(str(pseudo.get("AWS::AccountId", "")), str(pseudo.get("AWS::StackName", "")), logical_id))
    resolver = Resolver(cfn, {**context, "arns": arns})
    out: dict[str, list[dict[str, Any]]] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::S3::BucketPolicy":
            continue
        props = resource.get("Properties", {})
        statements = []
        for raw in _as_list(props.get("PolicyDocument", {}).get("Statement", [])):
            principal = raw.get("Principal", raw.get("NotPrincipal", "*"))
            if isinstance(principal, dict) and "AWS" not in principal:
                continue  # a service's (CloudFront's): it never names a function's role
            statement = resolver.value(copy.deepcopy(raw))
            normalised = _normalise(statement)
            for key in ("Principal", "NotPrincipal"):
                if key in statement:
                    normalised[key] = statement[key]
            statements.append(normalised)
        out.setdefault(str(resolver.value(copy.deepcopy(props.get("Bucket", "")))), []).extend(statements)
    return out


class _Placeholders(dict):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "template.yaml"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    context = {
        "pseudo": {
            "AWS::Region": "<region>",
            "AWS::AccountId": "<account>",
            "AWS::Partition": "aws",
            "AWS::StackName": "<stack>",
            "AWS::URLSuffix": "amazonaws.com",
        },
        "refs": _Placeholders(),
        "arns": _Placeholders(),
    }
    try:
        result = effective(text, context, region="eu-west-3")
        result["bucket policies"] = bucket_policies(text, context, region="eu-west-3")
    except PolicyError as e:
        print(f"policies.py: {e}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
