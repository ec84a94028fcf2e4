"""Partition keys and OData filters: every query an entity's repository sends names its partition.

Table Storage refuses `/`, `\\`, `#`, `?` and control characters in a key: a key built from PMS
data is checked here so the error names the key instead of failing a whole transaction.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


def odata(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def checked(key: str, what: str = "key") -> str:
    if not key or _FORBIDDEN.search(key) or len(key) > 1024:
        raise ValueError(
            f"{what} {key!r} cannot be a Table Storage key (empty, too long, or has / \\ # ? or a control character)"
        )
    return key


def check_entity(entity: str) -> str:
    # "|" separates the entity from the rest of a partition key: an entity containing it could reach another's rows.
    if "|" in entity:
        raise ValueError(f"entity {entity!r} cannot contain '|'")
    return checked(entity, "entity")


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def partition(key: str) -> str:
    return f"PartitionKey eq {odata(key)}"


def row_prefix(key: str, prefix: str) -> str:
    """One partition's rows whose RowKey starts with `prefix`."""
    return f"{partition(key)} and RowKey ge {odata(prefix)} and RowKey lt {odata(_after(prefix))}"


def row_range(key: str, low: str, high: str) -> str:
    """One partition's rows with low <= RowKey <= high."""
    return f"{partition(key)} and RowKey ge {odata(low)} and RowKey le {odata(high)}"


def partition_prefix(prefix: str) -> str:
    """Every partition whose key starts with `prefix`."""
    return f"PartitionKey ge {odata(prefix)} and PartitionKey lt {odata(_after(prefix))}"
