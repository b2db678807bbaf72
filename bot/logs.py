"""Logging for `pingxing run` and the demo: one format, and no secret in any record.

`configure_logging` installs a `RedactingFilter` on every handler of the root logger, so what
PTB, httpx, APScheduler or SQLAlchemy log passes through it as well as the project's own lines,
whatever their level. It removes:

- the bot token (PTB's "Bot API URL" debug lines, `InvalidToken`'s message, request URLs),
  and anything shaped like a token, for the token of another bot;
- invite codes: the argument of `/start` (in logged updates) and the `start=` parameter of a
  t.me link;
- file URLs (`.../file/bot<token>/<path>`), which let anyone download the secretary's evidence.

A filter on the handlers, not on loggers: records of child loggers reach the root handlers
without passing the root logger's own filters.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

__all__ = ["LOG_FORMAT", "RedactingFilter", "configure_logging", "redact_secrets"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What stands in for a removed secret.
REDACTED = "[redacted]"

# Bot API tokens are "<bot id>:<35 characters>" (Telegram's Bot API documentation, "Authorizing
# your bot"); a few more digits and characters are allowed so a future shape still matches.
# Not `\b`: in a request URL the token follows "bot" with no word boundary (`/bot<token>/getMe`).
_TOKEN_SHAPE = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")
# A file URL is the Bot API file endpoint plus a path; the token sits inside it.
_FILE_URL = re.compile(r"(?:[a-z]+://[^\s'\"]*?)?/file/bot[^\s'\"]*")
# `/start <code>` and `/start@bot <code>`, as a message text shows inside a logged update.
_START_ARGUMENT = re.compile(r"(/start(?:@\w+)?\s+)[^\s'\"\\]+")
# The deep link of an invite: https://t.me/<bot>?start=<code>
_START_PARAMETER = re.compile(r"([?&]start=)[^\s&'\"\\]+")


def redact_secrets(message: str, secrets: Iterable[str] = ()) -> str:
    """Returns `message` with file URLs, invite codes, tokens and the given secrets removed."""
    message = _FILE_URL.sub(REDACTED, message)
    message = _TOKEN_SHAPE.sub(REDACTED, message)
    for secret in secrets:
        message = message.replace(secret, REDACTED)
    message = _START_ARGUMENT.sub(rf"\g<1>{REDACTED}", message)
    return _START_PARAMETER.sub(rf"\g<1>{REDACTED}", message)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with its secrets removed.

    The record is changed in place (every handler after this one sees the redacted text) and
    always passed on: a redacted line is still worth reading.

    Args:
        secrets: exact strings to remove besides the patterns (the configured token, and its
            part after the colon, which PTB never logs alone but a person might).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Redacts the record; never drops it."""
        try:
            record.msg = redact_secrets(record.getMessage(), self.secrets)
            record.args = None
        except (TypeError, ValueError):
            # Arguments that do not fit the format: the handler reports that itself.
            record.msg = redact_secrets(str(record.msg), self.secrets)
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text` when it is set, so the traceback is printed redacted.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info, self.secrets)
        return True


def _token_secrets(token: str | None) -> tuple[str, ...]:
    """The token and its secret half (after the colon)."""
    if not token:
        return ()
    return (token, token.partition(":")[2]) if ":" in token else (token,)


def configure_logging(
    level: int = logging.INFO, *, token: str | None = None, stream: TextIO | None = None
) -> RedactingFilter:
    """Sets up the root logger for a bot process and redacts every record it prints.

    When the root logger has no handler yet, adds a stream handler and sets `level` (as
    `logging.basicConfig` does, logging set up by someone else is left as it is); then puts one
    `RedactingFilter` on every root handler, whoever added it. httpx logs each request's URL,
    which holds the token, at INFO: it is kept at WARNING.

    Args:
        level: the root logger's level, when this sets the logger up.
        token: the bot token to remove besides anything token-shaped.
        stream: where the added handler writes; stderr by default.

    Returns:
        The filter; a caller may extend its `secrets` tuple (with a webhook secret).
    """
    root = logging.getLogger()
    if not root.handlers:
        console = logging.StreamHandler(stream or sys.stderr)
        console.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(console)
        root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redacting = RedactingFilter(_token_secrets(token))
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    return redacting
