"""The HTML of the emulator's OAuth consent page (`GET /identity/connect/authorize`).

A page a person reads, so it meets WCAG 2.2 AA (checked by axe-core in `tests/a11y/`): a language,
a viewport, one `h1` and `h2`s below it, a `main` landmark, the organisations as labelled checkboxes
in a `fieldset` with a `legend`, each permission in words (its scope name beside it), contrast of at
least 4.5:1, a visible keyboard focus and targets of at least 24 by 24 CSS pixels. Allow and Cancel
are both submit buttons of the one form; Cancel sends `cancel=1` and the app is told `access_denied`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from cynare.sandbox.xero.scopes import WORDS

# Colours: text #1f2933 on #ffffff (14.5:1), muted #4a5563 (7.5:1), button #ffffff on #0b5394 (7.9:1),
# Cancel #0b5394 on #ffffff (7.9:1; on its hover colour #e8f0f8, 6.8:1), focus ring #b45309 against
# white (4.6:1) and against the button (well over the 3:1 of non-text contrast).
STYLE = """
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5}
body{margin:0;color:#1f2933;background:#ffffff}
header{background:#0b5394;color:#ffffff;padding:0.75rem 1.5rem}
header p{margin:0;font-weight:700;font-size:1.125rem}
header span{font-weight:400}
main{max-width:40rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 0.5rem}
.muted{color:#4a5563}
fieldset{border:1px solid #6b7280;border-radius:0.375rem;margin:0 0 1.5rem;padding:0.75rem 1rem}
legend{font-weight:700;padding:0 0.25rem}
ul.tenants{list-style:none;margin:0;padding:0}
ul.tenants li{display:flex;align-items:center;gap:0.5rem;padding:0.25rem 0}
input[type=checkbox]{width:1.5rem;height:1.5rem;margin:0;accent-color:#0b5394}
ul.scopes{margin:0 0 1.5rem;padding-left:1.25rem}
ul.scopes li{padding:0.125rem 0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.875em}
.actions{display:flex;flex-wrap:wrap;gap:0.75rem}
button{font:inherit;font-weight:700;min-height:2.75rem;padding:0.5rem 1.25rem;border:2px solid #0b5394;
border-radius:0.375rem;color:#ffffff;background:#0b5394;cursor:pointer}
button:hover{background:#08406f}
button.secondary{color:#0b5394;background:#ffffff}
button.secondary:hover{background:#e8f0f8}
:focus-visible{outline:3px solid #b45309;outline-offset:3px}
""".strip()


def render(
    client_name: str,
    tenants: Iterable[tuple[str, str]],
    hidden: Mapping[str, str],
    scopes: Iterable[str],
) -> str:
    """The consent page: `tenants` as (tenant id, name), `hidden` the OAuth fields posted back."""
    app = html.escape(client_name)
    boxes = "".join(
        f'<li><input type="checkbox" id="tenant-{i}" name="tenant_id" value="{html.escape(tenant_id)}" checked>'
        f'<label for="tenant-{i}">{html.escape(name)}</label></li>'
        for i, (tenant_id, name) in enumerate(tenants)
    )
    if not boxes:
        choice = '<p class="muted">This app may not connect to any of your organisations.</p>'
    else:
        choice = f'<ul class="tenants">{boxes}</ul>'
    fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in hidden.items())
    asked = "".join(
        f'<li>{html.escape(WORDS.get(scope, scope))} <span class="muted">(<code>{html.escape(scope)}</code>)</span></li>'
        for scope in scopes
    )
    permissions = f'<h2>Permissions asked for</h2><ul class="scopes">{asked}</ul>' if asked else ""
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Authorise {app} | Xero (local emulator)</title><style>{STYLE}</style></head><body>"
        "<header><p>Xero <span>local emulator</span></p></header>"
        f"<main><h1>{app} wants access to your Xero organisations</h1>"
        '<p class="muted">Choose the organisations this app may read and change, then allow access.</p>'
        f'<form method="post" action="/identity/connect/authorize">{fields}'
        f"<fieldset><legend>Organisations to connect</legend>{choice}</fieldset>{permissions}"
        '<div class="actions"><button type="submit" name="approve" value="1">Allow access</button>'
        '<button type="submit" name="cancel" value="1" class="secondary">Cancel</button></div>'
        "</form></main></body></html>"
    )
