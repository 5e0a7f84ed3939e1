"""Each function's AWS calls, checked against its own role before moto serves them.

moto's IAM access control (INITIAL_NO_AUTH_ACTION_COUNT) is too coarse for this: it names a
resource only for SQS, S3, IAM and STS (every DynamoDB, Secrets Manager, KMS, SES or SNS call
is checked against "*"), knows nothing of the KMS permissions that SQS, S3 and DynamoDB use
on the caller's behalf, and applies to every caller, test set-up included. So the check is
here, a WSGI layer in front of moto:

- The dev server registers, per stack, each function's access key with the statements of
  its role (`policies.effective`, from template.yaml through aws-sam-translator).
- A request signed with a registered key is turned into what AWS authorises: its actions and
  resource ARNs (DynamoDB per table or index and per item of a transaction or batch, SQS per
  queue, S3 per bucket or object, Secrets Manager per secret, SES per identity and
  configuration set, SNS per topic or "*" for an SMS, KMS per key), plus the KMS calls the
  service makes with the caller's permissions when the resource is under a customer managed
  key: SQS (send: kms:GenerateDataKey and kms:Decrypt; receive: kms:Decrypt), S3 (put:
  kms:GenerateDataKey; get: kms:Decrypt), DynamoDB (any access: kms:Decrypt of the table
  key), Secrets Manager (kms:Decrypt), each with kms:ViaService set as AWS sets it.
- Each is evaluated as IAM does: an explicit Deny wins, else an Allow must match (wildcards
  in actions and resources, NotAction, NotResource); conditions with the operators String*,
  Arn*, Bool and Null (and ...IfExists) on the keys this layer knows (ses:FromAddress,
  kms:ViaService, kms:CallerAccount, aws:SecureTransport, aws:PrincipalArn, s3:prefix,
  s3:if-none-match); a condition it cannot evaluate makes an Allow not apply and a Deny
  apply, so a policy is never read as wider than it is.
- A bucket policy's Deny statements (`policies.bucket_policies`) apply to the functions'
  S3 calls too, as AWS applies them to any principal they name: the documents bucket
  refuses a PUT without `If-None-Match`, the exchange bucket the national system's files to
  anyone but the import. Its Allow statements are not read (every function's access comes
  from its role), so nothing is allowed here that the role does not allow.
- A refused call gets the service's own AccessDenied answer (so the SDK surfaces it as on
  AWS), is printed to the emulator's log and kept for `GET /moto-api/c2s/refused.json`.

Requests signed with any other key (the tests' set-up, the dev server's bootstrap) pass.
Queue and key policies are not evaluated: the template's key policy delegates to IAM, its
queue policy only lets S3 send.
"""

import io
import json
import os
import re
import sys
import threading
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from fnmatch import fnmatchcase
from typing import Any, Callable

# C2S_PERMISSIONS_AUDIT=1: refusals are logged and recorded but the calls go through, to
# list in one run every permission a template lacks.
AUDIT = os.environ.get("C2S_PERMISSIONS_AUDIT") == "1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_LOCK = threading.Lock()


class Principal:
    def __init__(self, stack: str, function: str, role: str, account: str, statements: list[dict[str, Any]]):
        self.stack = stack
        self.function = function
        self.role = role
        self.account = account
        self.statements = statements

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.stack}-{self.role}/{self.function}"

    @property
    def role_arn(self) -> str:
        """What `aws:PrincipalArn` is for a role's session (as `policies.role_arn` names it)."""
        return f"arn:aws:iam::{self.account}:role/{self.stack}-{self.role}"


# access key id -> Principal; refusals per stack; bucket name -> (stack, its policy's statements).
_PRINCIPALS: dict[str, Principal] = {}
_REFUSED: dict[str, list[dict[str, str]]] = {}
# Calls each stack's functions made, by "Function Operation" (the load bench's call mix).
_CALLS: dict[str, dict[str, int]] = {}
_BUCKET_POLICIES: dict[str, tuple[str, list[dict[str, Any]]]] = {}


def register(stack: str, account: str, functions: dict[str, dict[str, Any]], keys: dict[str, str], buckets: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, int]:
    """`functions`: policies.effective's answer; `keys`: function logical id -> access key id;
    `buckets`: policies.bucket_policies' answer."""
    with _LOCK:
        for key, p in list(_PRINCIPALS.items()):
            if p.stack == stack:
                del _PRINCIPALS[key]
        for bucket, (owner, _) in list(_BUCKET_POLICIES.items()):
            if owner == stack:
                del _BUCKET_POLICIES[bucket]
        for bucket, statements in (buckets or {}).items():
            _BUCKET_POLICIES[bucket] = (stack, statements)
        _REFUSED.pop(stack, None)
        _CALLS.pop(stack, None)
        for function, key in keys.items():
            spec = functions.get(function)
            if spec is None:
                raise ValueError(f"no function {function} in the template")
            _PRINCIPALS[key] = Principal(stack, function, spec["role"], account, spec["statements"])
    return {f: len(functions[f]["statements"]) for f in keys}


def refused(stack: str) -> list[dict[str, str]]:
    with _LOCK:
        return list(_REFUSED.get(stack, []))


def calls(stack: str) -> dict[str, int]:
    with _LOCK:
        return dict(_CALLS.get(stack, {}))


def _count(principal: Principal, service: str, target: str, needs: "list[Need]") -> None:
    # The JSON protocols name the operation; S3 and the form protocols by their first need.
    operation = f"{service}:{target.split('.')[-1]}" if target else (needs[0].action if needs else f"{service}:?")
    name = f"{principal.function} {operation}"
    with _LOCK:
        counts = _CALLS.setdefault(principal.stack, {})
        counts[name] = counts.get(name, 0) + 1


# ------------------------------------------------------------------ evaluation


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    # IAM wildcards are * and ? only: brackets are literal.
    pattern = pattern.replace("[", "[[]")
    return fnmatchcase(value, pattern)


class _Unknown(Exception):
    pass


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        if_exists = operator.endswith("IfExists")
        op = operator[: -len("IfExists")] if if_exists else operator
        if ":" in op:  # ForAnyValue:/ForAllValues: on multivalued keys
            raise _Unknown(operator)
        for key, expected in tests.items():
            wanted = [str(x) for x in (expected if isinstance(expected, list) else [expected])]
            if key not in context and op != "Null":
                if key.lower() not in {k.lower() for k in _KNOWN_KEYS}:
                    raise _Unknown(key)
                if if_exists:
                    continue
                return False
            actual = context.get(key)
            if op == "Null":
                present = actual is not None
                if not any((w.lower() == "true") != present for w in wanted):
                    return False
            elif op in ("StringEquals", "ArnEquals"):
                if actual not in wanted:
                    return False
            elif op == "StringEqualsIgnoreCase":
                if actual.lower() not in [w.lower() for w in wanted]:
                    return False
            elif op in ("StringNotEquals", "ArnNotEquals"):
                if actual in wanted:
                    return False
            elif op == "StringNotEqualsIgnoreCase":
                if actual.lower() in [w.lower() for w in wanted]:
                    return False
            elif op in ("StringLike", "ArnLike"):
                if not any(_matches(w, actual) for w in wanted):
                    return False
            elif op in ("StringNotLike", "ArnNotLike"):
                if any(_matches(w, actual) for w in wanted):
                    return False
            elif op == "Bool":
                if actual.lower() not in [w.lower() for w in wanted]:
                    return False
            else:
                raise _Unknown(operator)
    return True


_KNOWN_KEYS = {"ses:FromAddress", "kms:ViaService", "kms:CallerAccount", "aws:SecureTransport", "aws:PrincipalArn", "s3:prefix", "s3:if-none-match"}


def _statement_applies(s: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    if "Action" in s:
        if not any(_matches(a, action, ignore_case=True) for a in s["Action"]):
            return False
    elif "NotAction" in s:
        if any(_matches(a, action, ignore_case=True) for a in s["NotAction"]):
            return False
    else:
        return False
    if "Resource" in s:
        if not any(_matches(r, resource) for r in s["Resource"]):
            return False
    elif "NotResource" in s:
        if any(_matches(r, resource) for r in s["NotResource"]):
            return False
    else:
        return False
    if "Condition" in s:
        try:
            return _condition_holds(s["Condition"], context)
        except _Unknown as unknown:
            print(f"[c2s-permissions] condition {unknown} not evaluated: its statement is read narrowly", file=sys.stderr)
            return s.get("Effect") == "Deny"
    return True


def allowed(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> tuple[bool, str]:
    allow = False
    for s in statements:
        if _statement_applies(s, action, resource, context):
            if s.get("Effect") == "Deny":
                return False, "explicit deny"
            allow = True
    return allow, "" if allow else "no identity-based policy allows it"


def _names(principal: Principal, spec: Any) -> bool:
    """Whether a resource policy's Principal (or NotPrincipal) names this role's session."""
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    aws = spec.get("AWS", [])
    named = [str(a) for a in (aws if isinstance(aws, list) else [aws])]
    own = {"*", principal.account, f"arn:aws:iam::{principal.account}:root", principal.role_arn, principal.arn}
    return any(n in own for n in named)


def denied_by_bucket_policy(principal: Principal, action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether the policy of the bucket `resource` is in denies this call explicitly."""
    if not resource.startswith("arn:aws:s3:::"):
        return False
    bucket = resource[len("arn:aws:s3:::") :].split("/", 1)[0]
    with _LOCK:
        _, statements = _BUCKET_POLICIES.get(bucket, ("", []))
    return denies(statements, principal, action, resource, context)


def denies(statements: list[dict[str, Any]], principal: Principal, action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether one of a resource policy's Deny statements applies to this call."""
    for s in statements:
        if s.get("Effect") != "Deny":
            continue
        if "Principal" in s and not _names(principal, s["Principal"]):
            continue
        if "NotPrincipal" in s and _names(principal, s["NotPrincipal"]):
            continue
        if _statement_applies(s, action, resource, context):
            return True
    return False


# ------------------------------------------------------------------ what a request asks


class Need:
    """One authorisation AWS makes for a request."""

    def __init__(self, action: str, resource: str, context: dict[str, str] | None = None, via: str = ""):
        self.action = action
        self.resource = resource
        self.context = context or {}
        self.via = via


def _kms(action: str, key_arn: str | None, service: str, region: str, account: str, via: str) -> list[Need]:
    if not key_arn:
        return []
    ctx = {"kms:ViaService": f"{service}.{region}.amazonaws.com", "kms:CallerAccount": account}
    return [Need(action, key_arn, ctx, via)]


def _key_arn(account: str, region: str, key_id: str | None) -> str | None:
    """The ARN of a customer managed key, from its id, ARN or alias; None for AWS managed keys."""
    if not key_id:
        return None
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    try:
        key = backend.describe_key(key_id)
    except Exception:
        if key_id.startswith("alias/aws/") or ":alias/aws/" in key_id:
            return None
        # An unknown key: name what was asked, so the check refuses rather than passes.
        return key_id if key_id.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key_id}"
    if getattr(key, "key_manager", "CUSTOMER") == "AWS":
        return None
    return key.arn


def _dynamodb(target: str, body: dict[str, Any], region: str, account: str) -> list[Need]:
    op = target.split(".", 1)[-1]
    table_arn = lambda name: name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    needs: list[Need] = []
    tables: set[str] = set()
    if op in ("TransactWriteItems", "TransactGetItems"):
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
        for item in body.get("TransactItems", []):
            for kind, action in kinds.items():
                if kind in item:
                    name = item[kind].get("TableName", "")
                    tables.add(name)
                    needs.append(Need(f"dynamodb:{action}", table_arn(name), via=op))
    elif op in ("BatchWriteItem", "BatchGetItem"):
        for name in body.get("RequestItems", {}):
            tables.add(name)
            needs.append(Need(f"dynamodb:{op}", table_arn(name)))
    else:
        name = body.get("TableName", "")
        tables.add(name)
        resource = table_arn(name)
        if body.get("IndexName") and op in ("Query", "Scan"):
            resource = f"{resource}/index/{body['IndexName']}"
        needs.append(Need(f"dynamodb:{op}", resource))
    if op in ("GetItem", "PutItem", "DeleteItem", "UpdateItem", "Query", "Scan", "TransactWriteItems", "TransactGetItems", "BatchWriteItem", "BatchGetItem"):
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[account][region]
        for name in sorted(tables):
            table = backend.tables.get(name.rsplit("/", 1)[-1])
            sse = getattr(table, "sse_specification", None) or {}
            if sse.get("Enabled") and sse.get("SSEType", "KMS") == "KMS":
                # DynamoDB decrypts the table key with the caller's permissions.
                needs += _kms("kms:Decrypt", _key_arn(account, region, sse.get("KMSMasterKeyId")), "dynamodb", region, account, f"dynamodb:{op} on {table_arn(name)}")
    return needs


def _queue_arn(url_or_name: str, region: str, account: str) -> tuple[str, str]:
    parts = [p for p in urllib.parse.urlparse(url_or_name).path.split("/") if p] if "/" in url_or_name else [url_or_name]
    name = parts[-1] if parts else ""
    owner = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else account
    return name, f"arn:aws:sqs:{region}:{owner}:{name}"


def _sqs(op: str, params: dict[str, Any], region: str, account: str) -> list[Need]:
    action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}.get(op, op)
    if op in ("ListQueues",):
        return [Need(f"sqs:{action}", "*")]
    name, arn = _queue_arn(params.get("QueueUrl") or params.get("QueueName") or "", region, account)
    needs = [Need(f"sqs:{action}", arn)]
    key = None
    try:
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[account][region].get_queue(name)
        key = getattr(queue, "kms_master_key_id", None)
    except Exception:
        pass
    key_arn = _key_arn(account, region, key) if key else None
    via = f"sqs:{action} on {arn}"
    if action == "SendMessage":
        needs += _kms("kms:GenerateDataKey", key_arn, "sqs", region, account, via)
        needs += _kms("kms:Decrypt", key_arn, "sqs", region, account, via)
    elif action == "ReceiveMessage":
        needs += _kms("kms:Decrypt", key_arn, "sqs", region, account, via)
    return needs


_S3_BUCKET_GET = {
    "versions": "ListBucketVersions", "uploads": "ListBucketMultipartUploads", "location": "GetBucketLocation",
    "versioning": "GetBucketVersioning", "encryption": "GetEncryptionConfiguration", "cors": "GetBucketCORS",
    "notification": "GetBucketNotification", "policy": "GetBucketPolicy", "tagging": "GetBucketTagging",
    "lifecycle": "GetLifecycleConfiguration", "acl": "GetBucketAcl",
}
_S3_BUCKET_PUT = {
    "versioning": "PutBucketVersioning", "encryption": "PutEncryptionConfiguration", "cors": "PutBucketCORS",
    "notification": "PutBucketNotification", "policy": "PutBucketPolicy", "tagging": "PutBucketTagging",
    "lifecycle": "PutLifecycleConfiguration", "acl": "PutBucketAcl",
}


def _s3_bucket_key(account: str, bucket: str) -> str | None:
    from moto.s3.models import s3_backends

    try:
        b = s3_backends[account]["aws"].get_bucket(bucket)
    except Exception:
        return None
    rule = (getattr(b, "encryption", None) or {}).get("Rule", {})
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    if default.get("SSEAlgorithm") == "aws:kms":
        return default.get("KMSMasterKeyID") or "alias/aws/s3"
    return None


def _s3_object_exists(account: str, bucket: str, key: str) -> bool:
    from moto.s3.models import s3_backends

    try:
        return s3_backends[account]["aws"].get_object(bucket, key) is not None
    except Exception:
        return False


def _s3(environ: dict[str, Any], read_body: Callable[[], bytes], region: str, account: str) -> list[Need]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = urllib.parse.unquote(environ.get("PATH_INFO", "/"))
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    host = environ.get("HTTP_HOST", "").split(":")[0]
    segments = path.lstrip("/").split("/", 1)
    bucket, key = segments[0], (segments[1] if len(segments) > 1 else "")
    # Virtual-hosted style: the bucket is the host's first label.
    virtual = re.match(r"^([a-z0-9.-]+)\.s3[.-]", host) or re.match(r"^([a-z0-9.-]+)\.(localhost|127\.0\.0\.1)$", host)
    if virtual:
        bucket, key = virtual.group(1), path.lstrip("/")
    bucket_arn = f"arn:aws:s3:::{bucket}"
    object_arn = f"{bucket_arn}/{key}"
    sub = set(query)
    kms_key = _key_arn(account, region, _s3_bucket_key(account, bucket))
    via = lambda action: f"s3:{action} on {object_arn if key else bucket_arn}"
    if key:
        if method in ("GET", "HEAD"):
            if "uploadId" in sub:
                return [Need("s3:ListMultipartUploadParts", object_arn)]
            action = "GetObjectVersion" if "versionId" in sub else "GetObject"
            if "tagging" in sub:
                action = "GetObjectVersionTagging" if "versionId" in sub else "GetObjectTagging"
            needs = [Need(f"s3:{action}", object_arn)]
            if not _s3_object_exists(account, bucket, key):
                # S3 answers 404 for a missing object only to those who may list the bucket.
                needs.append(Need("s3:ListBucket", bucket_arn, via=f"s3:{action} of a missing {object_arn}"))
            elif method == "GET" and "tagging" not in sub:
                needs += _kms("kms:Decrypt", kms_key, "s3", region, account, via(action))
            return needs
        if method in ("PUT", "POST"):
            if "tagging" in sub:
                return [Need("s3:PutObjectVersionTagging" if "versionId" in sub else "s3:PutObjectTagging", object_arn)]
            # The condition key S3 sets for a conditional write (bucket policies may require it).
            conditional = environ.get("HTTP_IF_NONE_MATCH")
            needs = [Need("s3:PutObject", object_arn, {"s3:if-none-match": conditional} if conditional is not None else {})]
            source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
            if source:
                source = urllib.parse.unquote(source.split("?", 1)[0]).lstrip("/")
                needs.append(Need("s3:GetObject", f"arn:aws:s3:::{source}", via="copy source"))
            needs += _kms("kms:GenerateDataKey", kms_key, "s3", region, account, via("PutObject"))
            if "uploads" in sub or "uploadId" in sub:
                needs += _kms("kms:Decrypt", kms_key, "s3", region, account, via("PutObject (multipart)"))
            return needs
        if method == "DELETE":
            if "uploadId" in sub:
                return [Need("s3:AbortMultipartUpload", object_arn)]
            if "tagging" in sub:
                return [Need("s3:DeleteObjectVersionTagging" if "versionId" in sub else "s3:DeleteObjectTagging", object_arn)]
            return [Need("s3:DeleteObjectVersion" if "versionId" in sub else "s3:DeleteObject", object_arn)]
    else:
        if method in ("GET", "HEAD"):
            named = [s for s in sub if s in _S3_BUCKET_GET]
            action = f"s3:{_S3_BUCKET_GET[named[0]]}" if named else "s3:ListBucket"
            listing = action in ("s3:ListBucket", "s3:ListBucketVersions")
            prefix = {"s3:prefix": query["prefix"][0]} if listing and query.get("prefix") else {}
            return [Need(action, bucket_arn, prefix)]
        if method == "POST" and "delete" in sub:
            keys = []
            try:
                root = ET.fromstring(read_body())
                keys = [el.text or "" for el in root.iter() if el.tag.endswith("Key")]
            except ET.ParseError:
                pass
            return [Need("s3:DeleteObject", f"{bucket_arn}/{k}", via="DeleteObjects") for k in keys] or [Need("s3:DeleteObject", f"{bucket_arn}/*")]
        if method == "PUT":
            named = [s for s in sub if s in _S3_BUCKET_PUT]
            return [Need(f"s3:{_S3_BUCKET_PUT[named[0]]}" if named else "s3:CreateBucket", bucket_arn)]
        if method == "DELETE":
            return [Need("s3:DeleteBucket", bucket_arn)]
    return [Need(f"s3:Unmodelled{method}", object_arn if key else bucket_arn)]


def _secretsmanager(target: str, body: dict[str, Any], region: str, account: str) -> list[Need]:
    op = target.split(".", 1)[-1]
    secret_id = body.get("SecretId") or body.get("Name") or ""
    if not secret_id:
        return [Need(f"secretsmanager:{op}", "*")]
    arn, kms_key = f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}", None
    try:
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[account][region].secrets[secret_id]
        arn, kms_key = secret.arn, getattr(secret, "kms_key_id", None)
    except Exception:
        pass
    needs = [Need(f"secretsmanager:{op}", arn)]
    if op == "GetSecretValue" and kms_key:
        needs += _kms("kms:Decrypt", _key_arn(account, region, kms_key), "secretsmanager", region, account, f"secretsmanager:{op} on {arn}")
    return needs


def _kms_direct(target: str, body: dict[str, Any], region: str, account: str) -> list[Need]:
    op = target.split(".", 1)[-1]
    key = body.get("KeyId")
    if not key:
        return [Need(f"kms:{op}", "*")]
    return [Need(f"kms:{op}", _key_arn(account, region, key) or key)]


def _sesv2(environ: dict[str, Any], body: dict[str, Any], region: str, account: str) -> list[Need]:
    method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
    if not (method == "POST" and path.rstrip("/") == "/v2/email/outbound-emails"):
        return [Need("ses:UnmodelledV2Call", f"arn:aws:ses:{region}:{account}:{path}")]
    sender = body.get("FromEmailAddress", "")
    address = re.search(r"<([^>]+)>", sender)
    address = (address.group(1) if address else sender).strip()
    identity = address
    try:
        from moto.ses.models import ses_backends

        if address not in ses_backends[account][region].email_identities:
            identity = address.split("@", 1)[-1]
    except Exception:
        pass
    ctx = {"ses:FromAddress": address}
    needs = [Need("ses:SendEmail", f"arn:aws:ses:{region}:{account}:identity/{identity}", ctx)]
    if body.get("ConfigurationSetName"):
        needs.append(Need("ses:SendEmail", f"arn:aws:ses:{region}:{account}:configuration-set/{body['ConfigurationSetName']}", ctx))
    return needs


def _sns(params: dict[str, Any], region: str, account: str) -> list[Need]:
    op = params.get("Action", "")
    target = params.get("TopicArn") or params.get("TargetArn")
    # An SMS to a phone number names no resource.
    return [Need(f"sns:{op}", target or "*")]


# ------------------------------------------------------------------ answers AWS gives


def _denied(service: str, principal: Principal, need: Need, json_protocol: bool) -> tuple[str, list[tuple[str, str]], bytes]:
    message = f"User: {principal.arn} is not authorized to perform: {need.action} on resource: {need.resource}"
    request_id = str(uuid.uuid4())
    kms = need.action.startswith("kms:") and service != "kms"
    if service == "s3":
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>'
        return "403 Forbidden", [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body.encode()
    if service == "sns":
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        return "403 Forbidden", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    if service == "ses":
        return "403 Forbidden", [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException"), ("x-amzn-RequestId", request_id)], json.dumps({"message": message}).encode()
    if service == "sqs":
        code = "KMS.AccessDeniedException" if kms else "AccessDenied"
        if not json_protocol:
            body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()
        kind = "com.amazonaws.sqs#KmsAccessDenied" if kms else "com.amazon.coral.service#AccessDeniedException"
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-query-error", f"{code};Sender"), ("x-amzn-RequestId", request_id)]
        return "400 Bad Request", headers, json.dumps({"__type": kind, "message": message}).encode()
    kind = {
        "dynamodb": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
        "secretsmanager": "AccessDeniedException",
        "kms": "AccessDeniedException",
    }.get(service, "AccessDeniedException")
    content_type = "application/x-amz-json-1.0" if service == "dynamodb" else "application/x-amz-json-1.1"
    return "400 Bad Request", [("Content-Type", content_type), ("x-amzn-RequestId", request_id)], json.dumps({"__type": kind, "message": message, "Message": message}).encode()


# ------------------------------------------------------------------ the WSGI layer


def _access_key(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found.group(1), found.group(2), found.group(3)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    credential = (query.get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    if len(parts) == 5:
        return parts[0], parts[2], parts[3]
    return None


def middleware(app: Callable) -> Callable:
    def enforcing(environ: dict[str, Any], start_response: Callable) -> Any:
        signed = _access_key(environ)
        principal = _PRINCIPALS.get(signed[0]) if signed else None
        if principal is None or signed is None:
            return app(environ, start_response)
        _, region, service = signed
        body_cache: list[bytes] = []

        def read_body() -> bytes:
            if not body_cache:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                data = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(data)
                body_cache.append(data)
            return body_cache[0]

        target = environ.get("HTTP_X_AMZ_TARGET", "")
        account = principal.account
        json_protocol = bool(target)
        try:
            needs = _needs(service, environ, target, read_body, region, account)
        except Exception as e:  # a request this layer cannot read is refused, never waved through
            needs = [Need(f"{service}:Unreadable", "*", via=f"{type(e).__name__}: {e}")]
        _count(principal, service, target, needs)
        for need in needs:
            # On AWS every SDK call comes over TLS.
            context = {"aws:SecureTransport": "true", "aws:PrincipalArn": principal.role_arn, **need.context}
            ok, why = allowed(principal.statements, need.action, need.resource, context)
            if ok and need.action.startswith("s3:") and denied_by_bucket_policy(principal, need.action, need.resource, context):
                ok, why = False, "explicit deny in the bucket policy"
            if not ok:
                record = {"function": principal.function, "action": need.action, "resource": need.resource, "via": need.via, "why": why}
                with _LOCK:
                    _REFUSED.setdefault(principal.stack, []).append(record)
                via = f" (for {need.via})" if need.via else ""
                verdict = "WOULD REFUSE" if AUDIT else "REFUSED"
                print(f"[c2s-permissions] {verdict} {principal.stack} {principal.function}: {need.action} on {need.resource}{via}: {why}", file=sys.stderr, flush=True)
                if AUDIT:
                    continue
                status, headers, body = _denied(service, principal, need, json_protocol)
                if environ.get("REQUEST_METHOD") == "HEAD":
                    body = b""
                start_response(status, headers + [("Content-Length", str(len(body)))])
                return [body]
        return app(environ, start_response)

    return enforcing


def _needs(service: str, environ: dict[str, Any], target: str, read_body: Callable[[], bytes], region: str, account: str) -> list[Need]:
    def json_body() -> dict[str, Any]:
        raw = read_body()
        return json.loads(raw) if raw else {}

    def form_body() -> dict[str, Any]:
        params = {k: v[0] for k, v in urllib.parse.parse_qs(read_body().decode(), keep_blank_values=True).items()}
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()})
        return params

    if service == "dynamodb":
        return _dynamodb(target, json_body(), region, account)
    if service == "sqs":
        if target:
            return _sqs(target.split(".", 1)[-1], json_body(), region, account)
        params = form_body()
        return _sqs(params.get("Action", ""), params, region, account)
    if service == "s3":
        return _s3(environ, read_body, region, account)
    if service == "secretsmanager":
        return _secretsmanager(target, json_body(), region, account)
    if service == "kms":
        return _kms_direct(target, json_body(), region, account)
    if service == "ses":
        return _sesv2(environ, json_body(), region, account)
    if service == "sns":
        return _sns(form_body(), region, account)
    if service == "sts":
        return []  # GetCallerIdentity needs no permission
    return [Need(f"{service}:Unmodelled", "*", via="a service this layer does not model")]
