"""Logs for the Functions app: our own lines with entity and batch, never a secret; Application Insights when set.

Application Insights is switched on by its own setting (APPLICATIONINSIGHTS_CONNECTION_STRING,
which the deployment sets); without it logs go to the Functions host as before. A filter on every
handler masks anything shaped like a bearer token or a token field, as a last line of defence:
no code logs secrets, and this makes sure a mistake does not reach a log store.
"""

from __future__ import annotations

import logging
import os
import re

_SECRET = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|(\b(?:access_token|refresh_token|client_secret|id_token|sig|authtoken)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!\*\*\*|\[hidden\]|\[masked\])[^\"'&\s,}]+"  # a value an adapter has masked already is left as it is
)


def _mask(text: str) -> str:
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2) or "") + "[masked]", text)


class MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def configure_logging(environ: dict[str, str] | None = None) -> None:
    environ = dict(os.environ if environ is None else environ)
    # The Azure SDKs log every HTTP request at INFO: thousands of lines a night. Our own lines stay.
    logging.getLogger("azure").setLevel(logging.WARNING)
    root = logging.getLogger()
    if not any(isinstance(f, MaskSecrets) for f in root.filters):
        root.addFilter(MaskSecrets())
        for handler in root.handlers:
            handler.addFilter(MaskSecrets())
    if environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(logger_name="cynare")
        for handler in logging.getLogger("cynare").handlers:
            handler.addFilter(MaskSecrets())
