"""The reply's tone: which messages are negative, when a person is offered, and the rules file's tone texts."""

from __future__ import annotations

import pytest

from language.intent_rules import RulesError
from language.reply_tone import NEUTRAL, Tone, next_negative_run, offers_person, tone_of
from language.rules_loader import parse_rules


@pytest.mark.parametrize(("text", "tone"), [
    ("it's terrible, my order still hasn't arrived 😡", Tone(True, True)),
    ("افتضاحه، دیگه هیچوقت خرید نمیکنم", Tone(True, True)),
    ("سفارشم نرسیده", Tone(True, False)),
    ("where is my order?", NEUTRAL),
    ("عالی بود، ممنون", NEUTRAL),
    ("", NEUTRAL),
    (None, NEUTRAL),
])
def test_tone_of_a_message(text, tone):
    assert tone_of(text) == tone


def test_a_person_is_offered_to_a_strong_complaint_or_the_second_in_a_row():
    mild, strong = Tone(True, False), Tone(True, True)
    assert not offers_person(mild, next_negative_run(mild, 0), "order_status")
    assert offers_person(mild, next_negative_run(mild, 1), "order_status")
    assert offers_person(strong, next_negative_run(strong, 0), None)
    assert next_negative_run(NEUTRAL, 5) == 0 and not offers_person(NEUTRAL, 5, "pricing")
    # Opting out wants silence; asking for a person is already a handoff.
    assert not offers_person(strong, 3, "opt_out") and not offers_person(strong, 3, "human_agent")


RULES = """\
fallback: ["?"]
{extra}
intents:
  greeting:
    examples: [سلام, hello]
    responses: ["درود"]
{intent_extra}
"""


def test_tone_texts_are_read_per_language_and_english_is_never_given_persian():
    rules = parse_rules(RULES.format(extra='apology: {fa: ["ببخشید"]}\nhandoff_offer: ["«اپراتور»"]',
                                     intent_extra='    apologetic: {fa: ["ببخشید، درود"], en: ["Sorry, hi"]}'))
    assert rules.tone_responses("apology", "fa") == ("ببخشید",)
    assert rules.tone_responses("apology", "en") == ()  # the built-in English apology, not a Persian one
    assert rules.tone_responses("handoff_offer", "en") == ("«اپراتور»",)  # a plain list serves both
    assert rules.tone_responses("apologetic:greeting", "en") == ("Sorry, hi",)
    assert rules.responses_for("greeting") == ("درود",)


@pytest.mark.parametrize(("extra", "intent_extra", "reason"), [
    ('apology: {de: ["Entschuldigung"]}', "", "rules.yaml:2: unknown key 'de' in apology"),
    ("handoff_offer: []", "", "rules.yaml:2: handoff_offer must be a non-empty list"),
    ("", '    apologetic: ["{nam}"]', "rules.yaml:7: an item of greeting.apologetic: unknown placeholder {nam}"),
])
def test_bad_tone_sections_are_rejected_with_the_line(extra, intent_extra, reason):
    with pytest.raises(RulesError) as error:
        parse_rules(RULES.format(extra=extra, intent_extra=intent_extra), source="rules.yaml")
    assert str(error.value).startswith(reason), str(error.value)
