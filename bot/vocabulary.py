"""The words typed for a button, in every offered language, from the catalogs.

Adding a language adds its words: the yes and no words are messages like any other, a
comma-separated list that each catalog translates.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.engine import Flow, Kind, Step
from bot.engine.flow import N_
from bot.engine.words import Vocabulary
from bot.i18n import Catalogs, language_names

# Each language's list is its own: a translation lists that language's words, comma-separated.
YES_WORDS = N_("yes, yeah, yep, ok, okay, sure, of course, agreed, I agree")
NO_WORDS = N_("no, nope, not at all, I do not agree")


def vocabulary(
    flows: Iterable[Flow], catalogs: Catalogs, buttons: Iterable[str] = ()
) -> Vocabulary:
    """Every button label of `flows` and of `buttons` (the service's own), the yes and no
    words, and the languages' names, in each language."""
    translators = [catalogs.translator(language) for language in catalogs.languages]
    labels: dict[str, set[str]] = {
        label: {label, *(tr.gettext(label) for tr in translators)} for label in buttons
    }
    for flow in flows:
        for step in _steps(flow):
            for option in step.options:
                if not option.label:  # a language, named by `language_names`
                    continue
                texts = labels.setdefault(option.label, {option.label})
                texts.update(tr.gettext(option.label) for tr in translators)
    yes = [word for tr in translators for word in tr.gettext(YES_WORDS).split(",")]
    no = [word for tr in translators for word in tr.gettext(NO_WORDS).split(",")]
    names = {code: language_names(code, catalogs.languages) for code in catalogs.languages}
    return Vocabulary.build(labels, yes, no, names)


def _steps(flow: Flow) -> Iterable[Step]:
    for step in flow.steps:
        yield step
        if step.kind is Kind.REPEAT:
            yield from step.steps
