"""Logging set-up. Libraries that log request payloads are kept above DEBUG: payloads
hold personal data (names, phone numbers) and the bot token."""

from __future__ import annotations

import logging

# Logger -> the most verbose level it may use, whatever the configured level.
CLAMPED = {
    "sqlalchemy.engine": logging.WARNING,  # INFO: SQL echo with parameters
    "telegram": logging.INFO,  # DEBUG: every Bot API call with its parameters
    "httpx": logging.WARNING,  # INFO: request URLs, which contain the bot token
    "httpcore": logging.WARNING,
    "apscheduler": logging.INFO,
    "alembic.runtime.plugins": logging.WARNING,  # one line per plugin at every start
}


def configure(level: str | int = "INFO") -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for name, most_verbose in CLAMPED.items():
        logging.getLogger(name).setLevel(max(most_verbose, root.level))
