"""moto's server, with DynamoDB's operations made atomic as they are on AWS, and what SES
and SNS sent readable alone.

moto serves requests on threads without locking its tables: two conditional writes at once
can both pass their condition, and a failed transaction restores its tables from a copy
taken before a concurrent one wrote. AWS never does either, and tests that race two agents
or two sign-ins on one item would pass or fail by chance. One lock around each operation
gives DynamoDB's guarantee: a condition is checked against the latest write.

S3's event notifications name the object's version (`versionId`) in a versioned bucket, as
AWS's do; moto's leave it out, so it is added here: the document check pins the version it
checked.

`GET /moto-api/c2s/sent.json` answers what `/moto-api/data.json` says of the emails SES sent
and the SMS SNS sent, in the same shape, without the rest of moto's state (every DynamoDB item
ever written, which makes data.json slow on a shared emulator).

Each function's calls carry only its own role's permissions (`permissions.py`): the dev server
registers a stack's function keys and template with `POST /moto-api/c2s/policies`, and
`GET /moto-api/c2s/refused.json?stack=<prefix>` answers what was refused to that stack, and
`GET /moto-api/c2s/calls.json?stack=<prefix>` how many calls of each operation each of its
functions made (`infra/load` reads the journey's call mix there).
"""

import json
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import moto.server  # noqa: E402
import permissions  # noqa: E402
import policies  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.s3 import notifications as s3_notifications  # noqa: E402
from moto.moto_api._internal import urls as moto_api_urls  # noqa: E402
from moto.server import main  # noqa: E402

_LOCK = threading.RLock()
_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_write_items",
)


def _atomic(operation):
    def locked(*args, **kwargs):
        with _LOCK:
            return operation(*args, **kwargs)

    locked.__name__ = operation.__name__
    return locked


for _name in _OPERATIONS:
    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))


def _with_version(make_event):
    def event(event_name, bucket, key, notification_id):
        body = make_event(event_name, bucket, key, notification_id)
        version = getattr(key, "_version_id", None)
        if getattr(bucket, "is_versioned", False) and version:
            for record in body.get("Records", []):
                record["s3"]["object"]["versionId"] = version
        return body

    event.__name__ = make_event.__name__
    return event


s3_notifications._get_s3_event = _with_version(s3_notifications._get_s3_event)


def _instances(model):
    fields = {
        "Message": ("id", "source", "subject", "body", "destinations"),
        "SMS": ("message_id", "phone_number", "message"),
    }[model.__name__]
    return [{f: getattr(i, f, None) for f in fields} for i in list(model.instances_tracked)]


def c2s_sent(request, full_url, headers):
    from moto.ses.models import Message
    from moto.sns.models import SMS

    body = {"ses": {"Message": _instances(Message)}, "sns": {"SMS": _instances(SMS)}}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


moto_api_urls.url_paths["{0}/moto-api/c2s/sent.json"] = c2s_sent


def _json(status, body):
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def c2s_policies(request, full_url, headers):
    """{"stack", "account", "template", "context", "keys": {function: access key id}}."""
    try:
        asked = json.loads(request.get_data() if hasattr(request, "get_data") else request.data)
        functions = policies.effective(asked["template"], asked["context"])
        buckets = policies.bucket_policies(asked["template"], asked["context"])
        counts = permissions.register(asked["stack"], asked["account"], functions, asked["keys"], buckets)
    except (ValueError, KeyError, policies.PolicyError) as e:
        return _json(400, {"error": str(e)})
    return _json(200, {"functions": counts})


def c2s_refused(request, full_url, headers):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    return _json(200, {"refused": permissions.refused((query.get("stack") or [""])[0])})


def c2s_calls(request, full_url, headers):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    return _json(200, {"calls": permissions.calls((query.get("stack") or [""])[0])})


def _version():
    import hashlib

    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in ("moto_server.py", "permissions.py", "policies.py"):
        with open(os.path.join(here, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


# What infra/lib/stack.sh compares with its checkout's files, to tell a stale emulator.
_VERSION = _version()


def c2s_version(request, full_url, headers):
    return _json(200, {"version": _VERSION})


moto_api_urls.url_paths["{0}/moto-api/c2s/version"] = c2s_version
moto_api_urls.url_paths["{0}/moto-api/c2s/policies"] = c2s_policies
moto_api_urls.url_paths["{0}/moto-api/c2s/refused.json"] = c2s_refused
moto_api_urls.url_paths["{0}/moto-api/c2s/calls.json"] = c2s_calls


class _Enforcing(moto.server.DomainDispatcherApplication):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._enforcing = permissions.middleware(super().__call__)

    def __call__(self, environ, start_response):
        return self._enforcing(environ, start_response)


moto.server.DomainDispatcherApplication = _Enforcing

if __name__ == "__main__":
    sys.exit(main())
