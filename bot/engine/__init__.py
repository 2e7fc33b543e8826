"""The conversation engine: flows, answers and rules, with no I/O, clock or channel."""

from bot.engine.conditions import age_on, evaluate
from bot.engine.events import (
    Asked,
    ChoiceInput,
    Completed,
    ConsentGiven,
    ContactInput,
    Ended,
    Event,
    Ignored,
    Input,
    LanguageChosen,
    OtherInput,
    Outdated,
    Recorded,
    Rejected,
    ReviewItem,
    Said,
    TextInput,
    Toggled,
)
from bot.engine.flow import FlagRule, Flow, Kind, Option, Step
from bot.engine.navigation import compute_flags
from bot.engine.runner import Resources, Transition, current, resume, start
from bot.engine.session import Session
from bot.engine.values import CountryIndex, DateWords, Invalid, fold

__all__ = [
    "Asked",
    "ChoiceInput",
    "Completed",
    "ConsentGiven",
    "ContactInput",
    "CountryIndex",
    "DateWords",
    "Ended",
    "Event",
    "FlagRule",
    "Flow",
    "Ignored",
    "Input",
    "Invalid",
    "Kind",
    "LanguageChosen",
    "Option",
    "OtherInput",
    "Outdated",
    "Recorded",
    "Rejected",
    "Resources",
    "ReviewItem",
    "Said",
    "Session",
    "Step",
    "TextInput",
    "Toggled",
    "Transition",
    "age_on",
    "compute_flags",
    "current",
    "evaluate",
    "fold",
    "resume",
    "start",
]
