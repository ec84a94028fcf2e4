"""Bind only the parameters a SQL text names, so one set of values serves every statement."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def parameters_for(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in set(_PARAMETER.findall(sql)) if name in values}


def unknown_parameters(sql: str, known: set[str]) -> list[str]:
    return sorted(set(_PARAMETER.findall(sql)) - known)


def parameter_names(sql: str) -> set[str]:
    return set(_PARAMETER.findall(sql))
