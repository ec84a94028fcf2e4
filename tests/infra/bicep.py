"""Just enough of Bicep's syntax to read what the templates declare: parameters and object literals."""

from __future__ import annotations

import re
from pathlib import Path

INFRA = Path(__file__).resolve().parents[2] / "infra"
_PARAM = re.compile(r"^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+))?$", re.MULTILINE)
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def text(name: str) -> str:
    return (INFRA / name).read_text(encoding="utf-8")


def params(name: str) -> dict[str, str | None]:
    """Each parameter and its default as written (None: no default, the caller must give it)."""
    return {match[1]: (match[3].strip() if match[3] else None) for match in _PARAM.finditer(text(name))}


def object_entries(name: str, var: str) -> dict[str, str]:
    """The top-level keys of `var <var> = { ... }` and each value's text (comments dropped)."""
    source = text(name)
    start = source.index(f"var {var} = {{") + len(f"var {var} = {{")
    depth, entries = 1, {}
    for line in source[start:].splitlines():
        code = _strip_comment(line)
        if depth == 1:
            match = _KEY.match(code)
            if match:
                entries[match[1]] = match[2].strip()
        depth += _braces(code)
        if depth <= 0:
            return entries
    raise ValueError(f"var {var} in {name} is not closed")


def _strip_comment(line: str) -> str:
    """The line without a trailing // comment (one inside a '...' string stays)."""
    quoted = False
    for i, char in enumerate(line):
        if char == "'":
            quoted = not quoted
        elif not quoted and line.startswith("//", i):
            return line[:i]
    return line


def _braces(code: str) -> int:
    unquoted = "".join(part for i, part in enumerate(code.split("'")) if i % 2 == 0)
    return unquoted.count("{") + unquoted.count("[") - unquoted.count("}") - unquoted.count("]")
