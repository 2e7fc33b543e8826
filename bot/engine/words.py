"""Typed words that stand for a button: its label in any language, or a word for yes or no.

People type what a button says ("oui", "Homme", "English") instead of tapping it. The
engine knows no language, so the words come in as data: each label's translations and the
yes and no words of every language, built by the caller from the catalogs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.engine.flow import Kind, Option, Step
from bot.engine.values import fold

YES, NO = "yes", "no"
# The questions whose buttons a typed word may stand for; a date has buttons only while
# it asks to confirm a two-digit year ("1995?": yes or no). Not a multiple choice (a word
# cannot say "and this one too"), a country (typed names have their own matcher) or the
# review (its buttons edit one answer each: a slip would open the wrong one).
TYPED_KINDS = frozenset({Kind.LANGUAGE, Kind.CONSENT, Kind.CHOICE, Kind.YESNO, Kind.DATE})


@dataclass(frozen=True)
class Vocabulary:
    """Folded words: each label's text in every language, and the words for yes and no."""

    labels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    languages: Mapping[str, frozenset[str]] = field(default_factory=dict)  # code -> names

    @classmethod
    def build(
        cls,
        labels: Mapping[str, Iterable[str]],
        yes: Iterable[str] = (),
        no: Iterable[str] = (),
        languages: Mapping[str, Iterable[str]] = {},
    ) -> Vocabulary:
        """From unfolded texts: label (English message id) -> its translations, and
        language code -> the language's names."""
        return cls(
            labels={label: _folded(texts) for label, texts in labels.items() if label},
            yes=_folded(yes),
            no=_folded(no),
            languages={code: _folded(names) for code, names in languages.items()},
        )

    def tap(self, step: Step, options: Iterable[Option], text: str) -> str | None:
        """The value of the one button `text` names, or None (no button, or more than one)."""
        if step.kind not in TYPED_KINDS:
            return None
        key = fold(text)
        if not key:
            return None
        named = {option.value for option in options if key in self._names(step, option)}
        return named.pop() if len(named) == 1 else None

    def _names(self, step: Step, option: Option) -> frozenset[str]:
        names = {fold(option.value), fold(option.label), *self.labels.get(option.label, ())}
        if step.kind is Kind.LANGUAGE:  # its buttons show each language's own name
            names |= self.languages.get(option.value, frozenset())
        # A sensitive question takes its labels only ("Yes", "Oui"): its answer is never
        # shown again, so an "ok" meaning "I am fine" must not quietly become a yes.
        meaning = None if step.sensitive else _meaning(step, option)
        if meaning == YES:
            names |= self.yes
        elif meaning == NO:
            names |= self.no
        return frozenset(names)


def _meaning(step: Step, option: Option) -> str | None:
    """Whether a button says yes or no: by its value, or, for a consent, by whether it ends."""
    if step.kind is Kind.CONSENT:
        return NO if option.end else YES
    return option.value if option.value in (YES, NO) else None


def _folded(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(key for text in texts if (key := fold(text)))
