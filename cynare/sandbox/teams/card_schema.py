"""The Adaptive Card a Teams channel accepts from a Workflows flow: schema version 1.5 at most, valid
against the official schema.

`adaptive-card-1.5.json` is Microsoft's schema copied unchanged from github.com/microsoft/AdaptiveCards
(schemas/1.5.0/adaptive-card.json, MIT licence, Copyright (c) 2017 Microsoft). It is strict: an unknown
element, property or value is refused. Teams renders cards up to 1.5 and shows a card of a later version
as its `fallbackText` only; the stand-in refuses it, so that a test sees it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

SCHEMA_FILE = Path(__file__).with_name("adaptive-card-1.5.json")
HIGHEST_VERSION = (1, 5)
# Properties Teams reads on the card itself that the strict schema does not know (e.g. "msteams":
# {"width": "Full"}); allowed here as Teams allows them, as the schema's README advises.
TEAMS_EXTENSIONS = ("msteams",)


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def card_problems(card: Any) -> list[str]:
    """Why Teams would not show `card` as posted, for a person; empty when it would."""
    if not isinstance(card, dict):
        return ["the attachment's content must be an Adaptive Card object"]
    if card.get("type") != "AdaptiveCard":
        return [f'the card\'s "type" must be "AdaptiveCard", not {card.get("type")!r}']
    version = _version(card.get("version"))
    if version is None:
        return [f'the card\'s "version" must be a version such as "1.5", not {card.get("version")!r}']
    if version > HIGHEST_VERSION:
        return [
            f'the card\'s "version" {card["version"]} is higher than 1.5, the highest Teams renders: '
            "set 1.5 and use only what 1.5 offers"
        ]
    checked = {key: value for key, value in card.items() if key not in TEAMS_EXTENSIONS}
    error = best_match(_validator().iter_errors(checked))
    if error is None:
        return []
    found, unknown_type = _precise(error)
    where = "card" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in found.absolute_path)
    said = f"{unknown_type!r} is not an element or action type of Adaptive Cards 1.5" if unknown_type else found.message
    return [f"{where} is not valid against the Adaptive Card 1.5 schema: {_clip(said)}"]


def _precise(error: Any) -> tuple[Any, str | None]:
    """The error inside an "any of these element types" failure that names what is wrong, and the
    element's type when no type of the schema has that name.

    The schema lists every element (and action) type as an anyOf branch; the branch whose "type"
    matches the element's holds the error that matters."""
    if error.validator != "anyOf" or not error.context:
        return error, None
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    instance = error.instance
    if isinstance(instance, dict) and "type" in instance:
        fitting = [errs for errs in branches.values() if not any(list(e.relative_path) == ["type"] for e in errs)]
        if not fitting:
            return error, str(instance["type"])
        return _precise(best_match(fitting[0]))
    return _precise(best_match(error.context))


def _version(raw: Any) -> tuple[int, ...] | None:
    if not isinstance(raw, str):
        return None
    try:
        return tuple(int(part) for part in raw.split("."))
    except ValueError:
        return None


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
