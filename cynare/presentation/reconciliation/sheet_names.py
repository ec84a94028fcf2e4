"""Worksheet names for the entities: valid in Excel (at most 31 characters, none of []:*?/\\, not
blank, no apostrophe at either end) and unique without regard to case, "Summary" kept for the summary."""

from __future__ import annotations

import re
from collections.abc import Iterable

SUMMARY_SHEET = "Summary"
_LIMIT = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def entity_sheet_names(entities: Iterable[str]) -> dict[str, str]:
    """Entity -> the name of its sheet, in the order given."""
    taken = {SUMMARY_SHEET.casefold()}
    names: dict[str, str] = {}
    for entity in entities:
        if entity in names:
            continue
        base = _FORBIDDEN.sub("-", entity).strip().strip("'").strip() or "Entity"
        name = base[:_LIMIT]
        copy = 2
        while name.casefold() in taken:
            suffix = f" ({copy})"
            name = base[: _LIMIT - len(suffix)].rstrip() + suffix
            copy += 1
        taken.add(name.casefold())
        names[entity] = name
    return names
