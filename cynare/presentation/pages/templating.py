"""Jinja2 with autoescaping on for every template: whatever the PMS or Xero says is text, never markup."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from cynare.presentation.pages.web import url


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cynare.presentation.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["url"] = url
    return env


def render(template: str, **context: Any) -> bytes:
    return environment().get_template(template).render(**context).encode("utf-8")
