"""moto's server, with DynamoDB's operations made atomic as they are on AWS.

moto serves requests on threads without locking its tables: two conditional writes at once
can both pass their condition, and a failed transaction restores its tables from a copy
taken before a concurrent one wrote. AWS never does either, and tests that race two agents
or two sign-ins on one item would pass or fail by chance. One lock around each operation
gives DynamoDB's guarantee: a condition is checked against the latest write.
"""

import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
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

if __name__ == "__main__":
    sys.exit(main())
