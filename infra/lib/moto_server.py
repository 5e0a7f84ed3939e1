"""moto's server, with DynamoDB's operations made atomic as they are on AWS, and what SES
and SNS sent readable alone.

moto serves requests on threads without locking its tables: two conditional writes at once
can both pass their condition, and a failed transaction restores its tables from a copy
taken before a concurrent one wrote. AWS never does either, and tests that race two agents
or two sign-ins on one item would pass or fail by chance. One lock around each operation
gives DynamoDB's guarantee: a condition is checked against the latest write.

`GET /moto-api/c2s/sent.json` answers what `/moto-api/data.json` says of the emails SES sent
and the SMS SNS sent, in the same shape, without the rest of moto's state (every DynamoDB item
ever written, which makes data.json slow on a shared emulator).
"""

import json

import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.moto_api._internal import urls as moto_api_urls
from moto.server import main

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

if __name__ == "__main__":
    sys.exit(main())
