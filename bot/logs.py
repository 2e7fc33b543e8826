"""Logging set-up.

At the default level (INFO) the log says what an operator needs: the start, where the
dashboard is, each check-in run that did something, and every warning and error. The
libraries' routine lines (the scheduler's two lines per job run, a line per migration,
PTB's start and stop) appear from DEBUG on. Libraries that log request payloads are kept
above DEBUG whatever the level: payloads hold personal data (names, phone numbers) and
the bot token.
"""

from __future__ import annotations

import logging

# Logger -> the most verbose level it may use, whatever the configured level.
CLAMPED = {
    "sqlalchemy.engine": logging.WARNING,  # INFO: SQL echo with parameters
    "telegram": logging.INFO,  # DEBUG: every Bot API call with its parameters
    "httpx": logging.WARNING,  # INFO: request URLs, which contain the bot token
    "httpcore": logging.WARNING,
}
# Loggers whose INFO lines are routine: shown only when the level is DEBUG.
ROUTINE = (
    "apscheduler",  # "Running job ...", "Job ... executed successfully", every run
    "alembic",  # "Running upgrade 0001 -> 0002", one line per migration
    "telegram.ext.Application",  # "Application started", "... stopping", "... complete"
)


def configure(level: str | int = "INFO") -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name, most_verbose in CLAMPED.items():
        logging.getLogger(name).setLevel(max(most_verbose, root.level))
    routine = root.level if root.level <= logging.DEBUG else max(logging.WARNING, root.level)
    for name in ROUTINE:
        logging.getLogger(name).setLevel(max(routine, _clamp(name)))
    scheduler = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _SkippedRun) for f in scheduler.filters):
        scheduler.addFilter(_SkippedRun())


class _SkippedRun(logging.Filter):
    """APScheduler warns each time a run is skipped because the last one still works (a
    long check-in run). The jobs allow one instance on purpose: a routine line."""

    def filter(self, record: logging.LogRecord) -> bool:
        routine = "maximum number of running instances reached" in record.getMessage()
        return not routine or logging.getLogger().level <= logging.DEBUG


def _clamp(name: str) -> int:
    """The most verbose level the clamp of `name` or of a logger above it allows."""
    return max(
        (level for n, level in CLAMPED.items() if name == n or name.startswith(n + ".")),
        default=logging.NOTSET,
    )
