"""Conversation files (conversations/*.yaml): loading, checking and text extraction."""

from bot.conversations.loader import (
    FlowError,
    check_translations,
    flow_texts,
    load_flow,
    load_flows,
    parse_flow,
)

__all__ = ["FlowError", "check_translations", "flow_texts", "load_flow", "load_flows", "parse_flow"]
