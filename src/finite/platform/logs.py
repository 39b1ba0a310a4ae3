"""Process-wide logging: plain text (the default) or one JSON object a line (FINITE_LOG_FORMAT),
the level from FINITE_LOG_LEVEL.

A JSON line holds time, level, logger, message, the request id while a request is served
(kit/request_id.current_request_id), the exception when there is one, and any `extra=` fields.
In either format no line holds a secret: RedactSecrets blanks API keys, webhook secrets, bearer
tokens, passwords and the password of a URL, in the message, its arguments, the traceback and
the extra fields — whatever a careless log call passes.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from finite.config import LogFormat
from finite.kit.request_id import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
REDACTED = "[REDACTED]"

_SECRETS = (
    # API keys of both surfaces and webhook signing secrets: the prefix stays, to tell them apart.
    (re.compile(r"\b(fsk_|fz_live_|fz_test_|whsec_)[A-Za-z0-9+/=_\-]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=\-]+"), rf"\1\2{REDACTED}"),
    # password=…, "password": "…", secret: … (a quoted value whole, else up to a separator)
    (
        re.compile(
            r"(?i)(\b\w*(?:password|passwd|secret|token|api_key)\w*[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;&\"'}]+)"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(://[^:/@\s]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),  # scheme://user:password@
)

# Attributes every LogRecord has: the rest came with `extra=`.
_STANDARD = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", None, None).__dict__,
        "message",
        "asctime",
        "taskName",
    }
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """On the handlers: every record passing through, whatever its logger, is cleaned."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in line:
                line[name] = value
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Idempotent: granian workers and the CLI both call it; the first handler set stays (a
    host that set its own, such as pytest, keeps it)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(log_handler(log_format))
    root.setLevel(level)


def log_handler(log_format: LogFormat) -> logging.Handler:
    """Standard error, in the format asked for, secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    return handler


def granian_log_config(log_format: LogFormat) -> dict[str, Any] | None:
    """For JSON lines, granian's own loggers (its messages, the access log when enabled) hand
    their records to the root logger's handler instead of printing text of their own."""
    if log_format != "json":
        return None
    return {
        "formatters": {},
        "handlers": {},
        "loggers": {
            "_granian": {"handlers": [], "propagate": True},
            "granian.access": {"handlers": [], "propagate": True},
        },
    }
