"""Conversation files (conversations/*.yaml): loading, checking and text extraction."""

from bot.conversations.checklist import CHECKLIST_FILE, ChecklistError, load_checklist
from bot.conversations.loader import (
    FlowError,
    check_file,
    check_translations,
    flow_texts,
    load_flow,
    load_flows,
    load_followups,
    offer_languages,
    parse_flow,
)

__all__ = [
    "CHECKLIST_FILE",
    "ChecklistError",
    "FlowError",
    "check_file",
    "check_translations",
    "flow_texts",
    "load_checklist",
    "load_flow",
    "load_flows",
    "load_followups",
    "offer_languages",
    "parse_flow",
]
