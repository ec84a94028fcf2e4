"""Headers on every page: no script at all, nothing framed, nothing cached, nothing sniffed."""

from __future__ import annotations


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """The policy; `form_targets` are other origins a form may lead to (the connect page's, Xero's consent page:
    browsers hold a form's redirect to form-action too)."""
    targets = " ".join(("'self'", *form_targets))
    return (
        f"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {targets}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()

HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
