"""Keep passwords out of everything loopml prints: settings, errors, logs and tags.

URLs carry credentials (``postgresql://user:pw@host/db``, ``redis://:pw@host``,
``s3://bucket?secret=...``); :func:`redact` replaces them with ``***`` wherever they occur
in a piece of text, and :class:`RedactSecrets` does the same to every log record.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@?#'\"]*):(?P<secret>[^\s@/'\"]+)@"
)
_QUERY = re.compile(
    r"(?i)(?P<head>[?&;](?:password|passwd|pwd|secret|secret_key|secret_access_key|"
    r"aws_secret_access_key|token|access_token|session_token|sas_token|sig|signature|"
    r"api_key|apikey|key)=)(?P<secret>[^&;#\s'\"]+)"
)


def redact(text: str) -> str:
    """Return ``text`` with URL passwords and secret query parameters replaced by ``***``.

    Example:
        >>> redact("postgresql://app:s3cret@db:5432/loopml")
        'postgresql://app:***@db:5432/loopml'
    """
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _QUERY.sub(lambda m: f"{m['head']}{MASK}", text)


class RedactSecrets(logging.Filter):
    """A logging filter that redacts secrets from a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
