"""Keep secrets out of logs and messages: SAS signatures, account keys, client secrets.

The agent never formats a secret on purpose; this filter is the second line, for text that comes
from a library (an exception message that quotes a URL, for example).
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    re.compile(r"(?i)\b(sig|se|sp|sv|st|skoid|sktid|skt|ske|sks|skv|srt|ss|spr|sr)=[^&\s\"']+"),
    re.compile(r"(?i)(AccountKey|SharedAccessSignature|client_secret|password|pwd)=[^;&\s\"']+"),
    re.compile(r"(?i)(://[^:/\s]+:)[^@\s]+@"),  # user:password@host in a database URL
)
_REPLACEMENTS = (r"\1=***", r"\1=***", r"\1***@")


def redact(text: str) -> str:
    for pattern, replacement in zip(_PATTERNS, _REPLACEMENTS, strict=True):
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
