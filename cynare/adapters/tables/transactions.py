"""Entity group transactions: one partition, at most 100 operations and about 4 MiB each.

Azurite answers an over-long transaction with a broken response instead of a clear error, and
Azure refuses it: the limit is enforced here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from azure.data.tables import TableClient, UpdateMode

MAX_OPERATIONS = 100
MAX_BYTES = 3_500_000  # Azure's limit is 4 MiB for the whole request, envelope included

Operation = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]
REPLACE: dict[str, Any] = {"mode": UpdateMode.REPLACE}  # an upsert that drops properties the new row lacks


def entity_size(entity: Mapping[str, Any]) -> int:
    """An upper estimate of an entity's bytes on the wire (strings are UTF-16 in the service's limits)."""
    return sum(len(str(value)) * 2 + len(name) for name, value in entity.items()) + 200


def chunks(operations: Iterable[Operation]) -> Iterator[list[Operation]]:
    """Group operations into transactions by partition, within the operation and size limits."""
    chunk: list[Operation] = []
    partition: str | None = None
    size = 0
    for operation in operations:
        entity = operation[1]
        weight = entity_size(entity)
        if chunk and (entity["PartitionKey"] != partition or len(chunk) == MAX_OPERATIONS or size + weight > MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(operation)
        partition = entity["PartitionKey"]
        size += weight
    if chunk:
        yield chunk


def submit_all(table: TableClient, operations: Sequence[Operation]) -> None:
    for chunk in chunks(operations):
        table.submit_transaction(chunk)
