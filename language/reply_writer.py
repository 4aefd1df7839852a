"""The text of the chatbot's replies: a variant of the intent's (or event's) replies in the customer's
language, its tone, and the values it is rendered with.

`ReplyWriter` is a mixin of `chatbot_service.ChatbotService`: it reads the service's `rules`,
`config`, `rng`, `language` (of the message being answered) and `_hours` (a per-service cache).
"""

from __future__ import annotations

import random
from typing import Any

from config import Config
from inbound.shapes import DEFAULT_ORDER_ACK, ORDER, order_reply_values
from language.intent_rules import RuleSet, choose_response, render_response
from language.reply_text import (
    LEADING_NAME_VALUES,
    describe_hours_english,
    describe_hours_persian,
    localized_order_values,
    name_values,
    reply_name,
    without_leading_name,
)
from language.reply_tone import DEFAULT_APOLOGY, DEFAULT_HANDOFF_OFFER, NEUTRAL, Tone, is_toned
from language.rules_loader import APOLOGY_KEY, HANDOFF_OFFER_KEY

# The built-in acknowledgement of a catalogue order for English writers (Persian: inbound.shapes).
DEFAULT_ORDER_ACK_ENGLISH = ("Your order of {item_count} item(s), {total} {currency}, has been received ✅ "
                             "Our team will contact you shortly to confirm it and arrange delivery.")
_DEFAULT_TONE = {APOLOGY_KEY: DEFAULT_APOLOGY, HANDOFF_OFFER_KEY: DEFAULT_HANDOFF_OFFER}


class ReplyWriter:
    """Reply texts for the chatbot service that mixes it in."""

    rules: RuleSet
    config: Config
    rng: random.Random
    language: str
    _hours: dict[str, str]

    def _event_reply(self, key: str, contact: Any, message: Any) -> str | None:
        variants = self._variants(f"event:{key}")
        if not variants and key == ORDER:
            variants = (DEFAULT_ORDER_ACK_ENGLISH if self.language == "en" else DEFAULT_ORDER_ACK,)
        if not variants:
            return None
        extra = {}
        if key == ORDER:
            extra = localized_order_values(order_reply_values(message.event_data or {}), self.language)
        return self._render(choose_response(variants, self.rng), contact, extra)

    def _respond(self, key: str, contact: Any, tone: Tone = NEUTRAL, offer: bool = False) -> str | None:
        """A reply variant of `key`: apologetic to a negative message, with the offer of a person if asked."""
        variants = self._variants(key)
        if not variants:
            return None
        template = choose_response(variants, self.rng)
        if tone.negative and is_toned(key):
            apologetic = self._tone_texts(f"apologetic:{key}")
            template = (choose_response(apologetic, self.rng) if apologetic
                        else f"{choose_response(self._tone_texts(APOLOGY_KEY), self.rng)} {template}")
        reply = self._render(template, contact)
        if offer:
            reply += "\n" + self._render(choose_response(self._tone_texts(HANDOFF_OFFER_KEY), self.rng), contact)
        return reply

    def _tone_texts(self, key: str) -> tuple[str, ...]:
        """The rules file's tone texts of `key` in the message's language, else the built-in ones (if any)."""
        tone_responses = getattr(self.rules, "tone_responses", None)
        found = tone_responses(key, self.language) if tone_responses is not None else ()
        return found or _DEFAULT_TONE.get(key, {}).get(self.language, ())

    def _variants(self, key: str) -> tuple[str, ...]:
        """The reply variants of `key` in the message's language (rules without languages: the list)."""
        localized = getattr(self.rules, "localized_responses", None)
        if localized is not None:
            return localized(key, self.language)
        if key.startswith("event:"):
            return getattr(self.rules, "event_responses", {}).get(key.removeprefix("event:"), ())
        return self.rules.responses_for(key)

    def _hours_text(self) -> str:
        if self.language not in self._hours:  # the config is frozen: once per service and language
            describe = describe_hours_english if self.language == "en" else describe_hours_persian
            self._hours[self.language] = describe(self.config)
        return self._hours[self.language]

    def _render(self, template: str, contact: Any, extra: dict[str, str] | None = None) -> str:
        # A Latin name never opens a Persian reply, a Persian one never enters an English reply.
        name = reply_name(contact)
        return render_response(without_leading_name(template, self.language, name), {
            **name_values(name, self.language), **LEADING_NAME_VALUES,
            "wa_id": contact.identifier,
            "business_hours": self._hours_text(),
        } | (extra or {}))


