"""Telegram intake assistant for assisted voluntary return and reintegration."""
