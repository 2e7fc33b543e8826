"""The Telegram channel: handlers, rendering, callback data, and the offline Bot API."""
