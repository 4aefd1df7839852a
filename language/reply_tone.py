"""The tone of a reply: apologetic to a negative message, and when to offer a person.

A message's sentiment (`sentiment.analyze_sentiment`) decides: a negative one is answered
with the intent's apologetic variant (the rules file's `apologetic:`, else an apology put in
front of the usual reply); a strongly negative one, or the second negative message in a row
from the same contact, also gets the offer of a person (`handoff_offer:`). The run of
negative messages is kept on the contact's conversation state, so any worker continues it.
The built-in texts below serve a rules file that has no `apology:` / `handoff_offer:`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from language.sentiment import analyze_sentiment

# Scores are in [-1, 1]. "it's terrible, my order still hasn't arrived 😡" scores -0.98,
# "افتضاحه، دیگه هیچوقت خرید نمیکنم" -0.92; a plain "سفارشم نرسیده" -0.46, "kheyli bad bood" -0.64.
STRONGLY_NEGATIVE_SCORE = -0.75
NEGATIVE_IN_A_ROW_FOR_OFFER = 2
# Intents whose reply is never softened or extended: opting in is good news, and a
# customer asking for a person is being handed to one already.
UNTONED_INTENTS = frozenset({"opt_in"})
NO_OFFER_INTENTS = frozenset({"opt_in", "opt_out", "human_agent"})

DEFAULT_APOLOGY = {
    "fa": ("بابت این موضوع واقعاً متأسفیم 🙏", "از اینکه ناراحت شدید عذرخواهی می‌کنیم 🙏"),
    "en": ("We're really sorry about this 🙏", "Sorry for the trouble 🙏"),
}
DEFAULT_HANDOFF_OFFER = {
    "fa": ("اگر بخواهید، یکی از همکاران ما مستقیم پیگیری می‌کند؛ کافی است «اپراتور» را بفرستید.",),
    "en": ("If you'd like a person to take this up, just send \"agent\".",),
}


@dataclass(frozen=True)
class Tone:
    """How a message sounds: negative at all, and strongly so."""

    negative: bool = False
    strongly_negative: bool = False


NEUTRAL = Tone()


# Short texts repeat ("سلام", "ممنون", "قیمت؟"): their tone is found once per process, as their intent is
# (intent_cache). The shipped lexicon and model are fixed for the life of a process, so the tone of a text is too.
_REMEMBERED_LENGTH = 200
_REMEMBERED_TEXTS = 4096


def tone_of(text: str | None) -> Tone:
    """The tone of a customer's text (no text: neutral)."""
    if not text or not text.strip():
        return NEUTRAL
    return _remembered_tone(text) if len(text) <= _REMEMBERED_LENGTH else _tone(text)


def _tone(text: str) -> Tone:
    result = analyze_sentiment(text)
    return Tone(negative=result.label == "negative", strongly_negative=result.score <= STRONGLY_NEGATIVE_SCORE)


_remembered_tone = lru_cache(maxsize=_REMEMBERED_TEXTS)(_tone)


def next_negative_run(tone: Tone, negative_in_a_row: int) -> int:
    """The contact's run of negative messages after this one (a neutral or positive message ends it)."""
    return negative_in_a_row + 1 if tone.negative else 0


def offers_person(tone: Tone, negative_in_a_row: int, intent: str | None) -> bool:
    """Whether the reply offers a person: strongly negative, or the second negative message in a row."""
    if intent in NO_OFFER_INTENTS or not tone.negative:
        return False
    return tone.strongly_negative or negative_in_a_row >= NEGATIVE_IN_A_ROW_FOR_OFFER


def is_toned(intent: str | None) -> bool:
    """Whether a negative message changes the reply to this intent."""
    return intent not in UNTONED_INTENTS
