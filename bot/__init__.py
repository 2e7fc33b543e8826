"""Telegram intake assistant for assisted voluntary return and reintegration."""

import os

# python-telegram-bot 22 gives durations (a 429's retry_after) as timedelta when this is
# set, and warns on every access otherwise; the next major version makes it the default.
os.environ.setdefault("PTB_TIMEDELTA", "true")
