"""The chatbot's rules: recognising intents and choosing and rendering replies.

Loading and validating the rules file is `rules_loader`; measuring the rules on a
labelled set is `intent_evaluation`. No database code here: `chatbot_service` owns
conversation state and sending. Recognition, in order: a whole-message `exact` rule
(STOP, لغو, START …) decides; an explicit request to stop messages (`opt_out_request`)
opts out, and nothing else ever does; otherwise every label is scored as a fifth of the
naive Bayes model's probability (`intent_model`, trained from the examples when the rules
load) plus four fifths of the matcher's evidence (`intent_matcher`: example similarity and
keywords, in Persian script and Finglish alike). The best intent needs evidence of at
least `threshold` and a `margin` over the runner-up, and one of its keywords when it
`needs_keyword` (pricing, thanks); explicit out-of-scope examples compete as `none`, and a
message that nearly repeats one is `none`. A message that only asks whether it talks to a
bot ("are you a robot?") is `none`, not a request for a person. A topic set aside ("price doesn't matter, …") or a
price judged in a message that asks something else ("the price is fine, but does it come in black?") leaves
what else is asked to decide. A `social` intent (greeting, thanks)
in front of a request yields to the request, and in front of a question no intent answers
("سلام، ماگ‌ها تو ماکروویو میرن؟") is `none`; a greeting in front of a farewell-like wish (سلام،
شب بخیر) stays a greeting, and such a wish with no greeting word (شب بخیر عزیزم) is a farewell. A
message that is `none` as a whole but ends in its one question ("I paid yesterday, when will you
send it?") is that question, and one that asks where something bought is or when it comes is
order_status. A request that asks beside its intent's meaning (the dollar's price, the clock,
delivery to a place at all, a price judged in the past, a change to an order, a site that does not
open, how much of a measure, spam, a bare "no, I don't want it") is `none`; so is a greeting that goes
on to say something no intent answers. Requests stated without a question (a wait, a price compared,
a number to call on) and small talk that only looks like a request are `stated_requests`. Opt-in needs a clear
request for the shop's messages (`opt_in_request`): without one the message is classified without
opt-in, and with one a message found to be nothing or small talk is opt-in. The clauses,
questions and small word lists these rules read are `message_clauses`.

Reply sets: every intent's `responses`, `fallback` (for `none`), `away` (handoff
outside business hours) and `media` (a photo/voice/file arrived); `responses_for`
returns any of them. Placeholders: {name}, {first_name}, {wa_id}, {business_hours},
each optionally with a fallback, `{name|مشتری عزیز}`; others are rejected on load.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from language import model_cache, nlp, opt_in_request, opt_out_request, sentiment, stated_requests
from language.intent_matcher import NO_INTENT, Matcher, consonant_key
from language.intent_matcher import word_tokens as _word_tokens
from language.intent_model import NaiveBayesModel
from language.message_clauses import (
    COURTESY_WORDS,
    EMPHASIS_WORDS,
    FOR_WORDS,
    HOW_MANY_WORDS,
    HOW_MUCH_WORDS,
    PAYING_WORDS,
    POLITENESS_WORDS,
    PRICE_QUESTION_ENDINGS,
    THANKS_FOR_WORDS,
    TIME_BEFORE_HOW_MUCH,
    advertises,
    asks_a_measure,
    asks_beside_the_intent,
    asks_what_it_comes_to,
    asks_what_the_bot_is,
    asks_where_a_parcel_is,
    asks_whether_it_has_shipped,
    changes_the_order,
    clause_tokens,
    free_of_something,
    lets_a_high_price_go,
    names_a_topic_no_intent_answers,
    only_remarks_on_a_price,
    opens_with_a_price,
    question_tokens,
    reviews_in_the_past,
    speaks_of_a_watch,
    without_a_judged_price,
    without_dismissed_clauses,
    without_hour_words,
)

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
GREETING = "greeting"
GOODBYE = "goodbye"
THANKS = "thanks"
PRICING = "pricing"
ORDER_STATUS = "order_status"
HUMAN_AGENT = "human_agent"
AWAY_KEY = "away"
MEDIA_KEY = "media"
ALLOWED_PLACEHOLDERS = frozenset({"name", "first_name", "wa_id", "business_hours"})
MEDIA_TYPES = frozenset({"image", "document", "video", "audio"})
DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.05

# A keyword hit lifts an intent's n-gram score at most this far towards 1.
_KEYWORD_WEIGHT = 0.6
# An intent's score: this share of the model's probability plus the rest of the
# matcher's evidence. Five-fold cross-validation on tests/data/intents_dev.tsv:
# 0.0 → 0.905, 0.1 → 0.931, 0.2 → 0.931, 0.3 → 0.922, 0.5 → 0.913, 1.0 → 0.865.
# Since the model learns from every development message (tenth pass, 4,717 messages):
# pooled five-fold 0.2 → 0.9654, 0.25 → 0.9657; leave-one-file-out 0.2 → 0.9640, 0.25 →
# 0.9665 (with the bench's old fold key 0.3 → 0.9665 and 0.9659, 0.25 above it in both);
# the three files written blind after the rules' last change (intents_dev_blind7–9, 877),
# held out together: 0.15 → 0.911, 0.2 → 0.916, 0.25 → 0.924, 0.3–0.4 → 0.926.
_MODEL_SHARE = 0.25
# A message this near an out-of-scope example is none, whatever the model votes (it voted for a
# farewell on "great", an out-of-scope example, because farewells say "have a great day").
# Pooled cross-validation: 0.85 and 0.9 fix one message, 0.95 none; nothing broken. 0.85 since the
# model learns from the development sets (tenth pass): its vote for opening hours on "can I come in
# person to see it?" (training messages ask the hours of coming in person) outweighed the example at
# cosine 0.86; the pooled and leave-one-file-out errors are the same at 0.85 and 0.9, 0.8 breaks three.
_REPEATS_OUT_OF_SCOPE = 0.85
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}|[{}]")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_INTENT_NAME = re.compile(r"[a-z][a-z0-9_]*")
_EMPTY_VALUE = "\x00"
# Only the start of a very long message is classified: intents are short, and the
# webhook must stay fast whatever a customer pastes.
_MAXIMUM_CHARACTERS = 1000
_MAXIMUM_TOKENS = 100
# Answered opt_in instead when the message clearly asks for the shop's messages (`opt_in_request`).
_SMALL_TALK = frozenset({GREETING, THANKS, GOODBYE})
_WEAK_PRICING = 0.5  # below it a price guess gives way to a request for the shop's offers (recognize_intent)
# Content words after a greeting that make a message more than a greeting (see `_says_more_than_hello`).
_CONTENT_AFTER_A_GREETING = 3
# Words that only make thanks stronger: "appreciate it bro, seriously", "ممنون واقعا خیلی".
_INTENSIFIERS = nlp.word_set("seriously really so much lot very truly bro dude man guys واقعا خیلی kheili vaghean")


class RulesError(ValueError):
    """The rules file is unreadable or malformed; the message names file and line."""


@dataclass(frozen=True)
class MediaResponse:
    """An attachment sent along with an intent's text reply."""

    kind: str
    url: str
    caption: str = ""


@dataclass(frozen=True)
class Intent:
    """One intent of the rules file."""

    name: str
    examples: tuple[str, ...]
    responses: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    media_response: MediaResponse | None = None
    threshold: float | None = None  # overrides the rule set's, e.g. stricter opt-out
    social: bool = False  # greeting/thanks: a request after it decides the intent
    needs_keyword: bool = False  # never chosen on similarity alone: a price question names a price


@dataclass(frozen=True)
class IntentMatch:
    """A recognised intent; for `none`, confidence is the best rejected score."""

    intent: str
    confidence: float


@lru_cache(maxsize=4)
def _trained(intents: tuple[Intent, ...], out_of_scope: tuple[str, ...],
             training: tuple[tuple[str, str], ...] = ()) -> tuple[Matcher, NaiveBayesModel]:
    """Build the matcher and train the model once per process for the same rules.

    Both are read-only afterwards, so rule sets loaded again from an unchanged file (each
    app, each test) share them: 0.23 s of CPU per load saved. `training` holds the labelled
    messages (text, intent or `none`) the model learns from beside the examples. Another process
    that built them from the same rules left them in instance/model-cache (`model_cache`): 1.8 s
    of CPU to build, 0.2 s to read.
    """
    return model_cache.trained("intents", repr((intents, out_of_scope, training)).encode(),
                               lambda: _build(intents, out_of_scope, training))


def _build(intents: tuple[Intent, ...], out_of_scope: tuple[str, ...],
           training: tuple[tuple[str, str], ...]) -> tuple[Matcher, NaiveBayesModel]:
    model = NaiveBayesModel(
        [(intent.name, _word_tokens(example)) for intent in intents for example in intent.examples]
        + [(NO_INTENT, _word_tokens(example)) for example in out_of_scope]
        + [(label, _word_tokens(text)) for text, label in training])
    return Matcher(intents, out_of_scope), model


_MISSPELT_COMMAND_WORDS = 3  # a command typed with a slip is short: "لقو ۱۱", "sotp pls" (politeness dropped)
_SWAPPED_FROM = 4  # letters in a Latin word before two swapped letters are read as a slip ("sotp"; not "ot")


def _asks_how_much_at_the_end(tokens: Sequence[str]) -> bool:
    """"… چنده؟": how much, ending the message, not after a time ("ساعت چند") nor of a measure ("قدش چنده")."""
    return (bool(tokens) and tokens[-1] in PRICE_QUESTION_ENDINGS
            and (len(tokens) < 2 or tokens[-2] not in TIME_BEFORE_HOW_MUCH) and not asks_a_measure(tokens))


def _word_variants(word: str) -> list[str]:
    variants = [word]
    if "ق" in word:
        variants.append(word.replace("ق", "غ"))
    if "q" in word and word.isascii():
        variants.append(word.replace("q", "gh"))  # Finglish q for the same letter: "lqv 11"
    if len(word) > 2 and word[-1] == word[-2]:
        variants.append(word[:-1])
    if word.isascii() and len(word) >= _SWAPPED_FROM:
        variants += [word[:index] + word[index + 1] + word[index] + word[index + 2:] for index in range(len(word) - 1)
                     if word[index] != word[index + 1]]
    return variants


def _command_variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every spelling of `words` with at most one slip in one word (the words as typed first)."""
    found = [words]
    for position, word in enumerate(words):
        found += [words[:position] + (variant,) + words[position + 1:] for variant in _word_variants(word)[1:]]
    return found


# A message of one gesture alone (with flowers, hearts or a skin tone) says what the gesture says: folded hands
# thank, a waving hand greets. Any other emoji, or two gestures that disagree, is none.
_GESTURES = {"🙏": THANKS, "👋": GREETING}
_GESTURE_COMPANIONS = frozenset("🌹💐🌸🌺🌷❤♥💕💖🏻🏼🏽🏾🏿\ufe0f\u200d")


_FOR_NOTHING = (("for", "nothing"), ("بابت", "هیچی"), ("برای", "هیچی"), ("babate", "hichi"), ("baraye", "hichi"))


def _thanks_for_nothing(text: str) -> bool:
    return nlp.has_pair(_word_tokens(text), _FOR_NOTHING)


def _gesture(text: str) -> str | None:
    characters = [character for character in text if not character.isspace()]
    said = {_GESTURES[character] for character in characters if character in _GESTURES}
    if len(said) != 1 or not all(character in _GESTURES or character in _GESTURE_COMPANIONS
                                 for character in characters):
        return None
    return said.pop()


# A customer taking back what they typed: "… نه ببخشید اشتباه نوشتم", "دستم خورد", "I mean", "sorry, typo" (a
# writing verb: "سایز اشتباه فرستادم" sent the wrong size, it takes nothing back).
_CORRECTIONS = re.compile(
    r"(?:اشتباه(?:ی)? (?:نوشتم|تایپ کردم)|غلط نوشتم|دستم خورد|منظورم(?: اینه| این بود)?(?: که)?"
    r"|eshtebah(?:i)? (?:neveshtam|type kardam)|dastam khord|manzooram|manzuram"
    r"|\bi meant?\b|\bsorry,? (?:typo|wrong chat)\b|\bignore (?:that|the last (?:one|message))\b)",
    re.IGNORECASE)
_MINIMUM_CORRECTED_WORDS = 2


_CORRECTION_HINTS = ("اشتباه", "غلط", "دستم", "منظورم", "eshtebah", "dastam", "manz", "mean", "sorry", "ignore")


def _after_a_correction(text: str) -> str | None:
    """What a message says after its last correction, when that is two words or more (else None)."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _CORRECTION_HINTS):
        return None  # most messages: no word of a correction, no pattern to run
    normalized = nlp.normalize(text)
    ends = [found.end() for found in _CORRECTIONS.finditer(normalized)]
    if not ends:
        return None
    rest = normalized[ends[-1]:]
    return rest if len(_word_tokens(rest)) >= _MINIMUM_CORRECTED_WORDS else None


class RuleSet:
    """Validated chatbot rules with a precomputed intent matcher."""

    def __init__(
        self,
        intents: Sequence[Intent],
        fallback: Sequence[str],
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
        out_of_scope: Sequence[str] = (),
        media_responses: Sequence[str] = (),
        away: Sequence[str] = (),
        training: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.intents = {intent.name: intent for intent in intents}
        self.fallback = tuple(fallback)
        self.threshold = threshold
        self.margin = margin
        self.out_of_scope = tuple(out_of_scope)
        self.media_responses = tuple(media_responses)
        self.away = tuple(away)
        self.training = tuple(training)
        self._parts: tuple[Matcher, NaiveBayesModel] | None = None  # trained on first use, or by `prepare`

    def prepare(self) -> None:
        """Build the matcher and train the model now (a web worker at start-up), not on the first message."""
        self._trained_parts()

    def _trained_parts(self) -> tuple[Matcher, NaiveBayesModel]:
        if self._parts is None:
            self._parts = _trained(tuple(self.intents.values()), self.out_of_scope, self.training)
        return self._parts

    @property
    def _matcher(self) -> Matcher:
        return self._parts[0] if self._parts is not None else self._trained_parts()[0]

    @property
    def _model(self) -> NaiveBayesModel:
        return self._parts[1] if self._parts is not None else self._trained_parts()[1]

    def recognize_intent(self, text: str) -> IntentMatch:
        """Return the intent of a customer message, or `none` when unsure."""
        corrected = _after_a_correction(text[:_MAXIMUM_CHARACTERS])
        if corrected is not None:
            # "سفارشمو لغو ... نه ببخشید اشتباه نوشتم، میخواستم بپرسم کی ارسال میشه": what the customer takes
            # back is not asked; what follows the correction is.
            return self.recognize_intent(corrected)
        match = self._recognize_request(text)
        if (match.intent != NO_INTENT and (match.confidence < 1.0 or match.intent == HUMAN_AGENT)
                and advertises(text[:_MAXIMUM_CHARACTERS])):
            # Another business's ad: it offers and asks nothing, its number to call included. Exact commands and
            # explicit stops (confidence 1.0) stand.
            return IntentMatch(NO_INTENT, match.confidence)
        return match

    def _recognize_request(self, text: str) -> IntentMatch:
        match = self._recognize(text)
        if match.intent == THANKS and _thanks_for_nothing(text[:_MAXIMUM_CHARACTERS]):
            # "thanks for nothing, a month of waiting": sarcasm, never thanks; what else it says decides.
            match = self._recognize(text, excluded=frozenset({THANKS}))
        if match.intent == OPT_IN and match.confidence < 1.0 and opt_out_request.asks_to_leave(
                text[:_MAXIMUM_CHARACTERS]):
            # "remove my number from the order", "unsubscribe from what?": short of an opt-out, and never a
            # subscription.
            return IntentMatch(NO_INTENT, match.confidence)
        if match.intent == OPT_IN and match.confidence < 1.0 and not opt_in_request.asks_for_messages(
                text[:_MAXIMUM_CHARACTERS]):
            # "send the invoice again", "do you have any offers this week?": no request for the shop's
            # messages; the message is what it is without opt-in.
            return self._recognize(text, excluded=frozenset({OPT_IN}))
        # The shop's offers asked for ("تخفیفا رو واسه منم بفرستین") read like a price question to the model: a weak
        # pricing guess gives way to the request as well.
        if ((match.intent == NO_INTENT or match.intent in _SMALL_TALK
             or match.intent == PRICING and match.confidence < _WEAK_PRICING) and OPT_IN in self.intents
                and opt_in_request.asks_for_messages(text[:_MAXIMUM_CHARACTERS])
                and not opt_out_request.asks_to_leave(text[:_MAXIMUM_CHARACTERS])):
            return IntentMatch(OPT_IN, max(match.confidence, self.threshold))
        return match

    def _recognize(self, text: str, excluded: frozenset[str] = frozenset()) -> IntentMatch:
        tokens = self._matcher.respelled(_word_tokens(text[:_MAXIMUM_CHARACTERS])[:_MAXIMUM_TOKENS])
        if not any(character.isalpha() for token in tokens for character in token):
            gesture = _gesture(text[:_MAXIMUM_CHARACTERS])
            if gesture in self.intents and gesture not in excluded:
                return IntentMatch(gesture, self.threshold)  # "🙏", "👋🏻": a gesture said with no words
            return IntentMatch(NO_INTENT, 0.0)  # emoji, digits or punctuation only
        exact_intent = self._matcher.exact.get(" ".join(
            token for token in tokens if token not in POLITENESS_WORDS))
        if exact_intent is None:
            kept = [token for token in tokens if token not in POLITENESS_WORDS]
            if kept and all(token.isascii() for token in kept) and not any(
                    character in "aeiou" for token in kept for character in token[1:]):
                exact_intent = self._matcher.exact_consonants.get(consonant_key(kept))  # lghv, stp
        if exact_intent is None and not (COURTESY_WORDS | EMPHASIS_WORDS).isdisjoint(tokens):
            # "لغو11 ممنون", "STOP thanks", "stop dige": a command with thanks or impatience is still the command.
            exact_intent = self._matcher.exact.get(" ".join(
                token for token in tokens if token not in POLITENESS_WORDS | COURTESY_WORDS | EMPHASIS_WORDS)) or None
        if exact_intent is None:
            exact_intent = self._misspelt_command([token for token in tokens if token not in POLITENESS_WORDS
                                                   | COURTESY_WORDS | EMPHASIS_WORDS])
        if exact_intent is not None:
            return IntentMatch(exact_intent, 1.0)
        if OPT_OUT in self.intents and opt_out_request.is_explicit_opt_out(
                text[:_MAXIMUM_CHARACTERS]):
            return IntentMatch(OPT_OUT, 1.0)
        if HUMAN_AGENT in self.intents and stated_requests.asks_to_be_called_on_a_number(
                text[:_MAXIMUM_CHARACTERS], tokens):
            # "zng bznid bm 09121112233", a long complaint ending "… با من تماس بگیره: ۰۹۱۲…": call me on this.
            return IntentMatch(HUMAN_AGENT, 1.0)
        if asks_what_the_bot_is(tokens):
            return IntentMatch(NO_INTENT, 0.0)  # "are you a robot?" asks for no person
        said = tokens  # as typed: "kar daram" is not split into the rules' "dar" + "am"
        tokens = without_dismissed_clauses(text[:_MAXIMUM_CHARACTERS], tokens) or tokens
        tokens = without_a_judged_price(text[:_MAXIMUM_CHARACTERS], tokens) or tokens
        tokens = self._matcher.split_run_together(tokens)
        match, ambiguous = self._classify(tokens, excluded)
        if (match.intent in (GREETING, HUMAN_AGENT, NO_INTENT) and GREETING in self.intents
                and stated_requests.announces_a_question(said[self._matcher.social_prefix_length(said):])):
            return IntentMatch(GREETING, max(match.confidence, self.threshold))  # "سلام، یه سوال داشتم"
        if (match.intent in (GREETING, HUMAN_AGENT, NO_INTENT) and GREETING in self.intents
                and GREETING in self._matcher.opening_intents(tokens)):
            prefix = self._matcher.social_prefix_length(tokens)
            asked = [question for question in question_tokens(text[:_MAXIMUM_CHARACTERS])  # "سلام خوبین؟" asks nothing
                     if not stated_requests.only_asks_how_one_is(
                         question[self._matcher.social_prefix_length(question):])
                     and not stated_requests.asks_whether_anyone_answers(  # "hey, anyone there? I bought …"
                         question[self._matcher.social_prefix_length(question):])]
            rest = tokens[prefix:]
            if prefix and not asked and (stated_requests.only_wishes_well(rest) or self._introduces_the_writer(
                    text[:_MAXIMUM_CHARACTERS], tokens, rest)):
                return IntentMatch(GREETING, max(match.confidence, self.threshold))  # "سلام، سارا هستم"
        known = self.intents.get(match.intent)
        if match.intent == THANKS:
            asked = stated_requests.without_thanks_ahead(tokens)
            prefix = self._matcher.social_prefix_length(asked) if asked else 0
            # "thx for sorting it out so quick, appreciate it": what follows a thanks "for" is what it is for.
            thanked_for = prefix and not (FOR_WORDS | THANKS_FOR_WORDS).isdisjoint(asked[prefix - 1:prefix + 1])
            asked = asked[prefix:] if asked else None
            only_address = asked and all(token in stated_requests.ADDRESS_AND_COURTESY or token in _INTENSIFIERS
                                         or token in nlp.STOPWORDS for token in asked)  # "appreciate it bro, seriously"
            if (asked and not thanked_for and not only_address
                    and len([token for token in asked if token not in nlp.STOPWORDS]) >= 2):
                # "سلام ممنون میشم بگید این کتاب برای چه سنی مناسبه": thanks ahead of the answer wrap the question.
                return self._classify(asked, excluded)[0]
        if match.intent in _SMALL_TALK or THANKS in self._matcher.opening_intents(tokens):
            turned = self._request_after_a_turn(tokens, excluded, text[:_MAXIMUM_CHARACTERS])
            if turned is not None:
                return turned
        thanked = self._thanks_for_something(tokens, text)
        if thanked is not None:
            return IntentMatch(thanked, max(match.confidence, self.threshold))
        if ambiguous or (known is not None and known.social):
            # "سلام وقت بخیر، بسته‌ام کی میرسه؟": a greeting or thanks in front of a
            # request wins or ties on score, but the request is what needs an answer.
            prefix = self._matcher.social_prefix_length(tokens)
            rest = tokens[prefix:]
            if prefix and rest:
                rest_match, _ = self._classify(rest, excluded)
                content_words = [token for token in rest if token not in nlp.STOPWORDS]
                # One stray word ("thank you very much") must not turn into a request.
                rest_intent = self.intents.get(rest_match.intent)
                # A farewell or more small talk after a greeting is no request.
                # Either needs two content words or its keyword: "mamnunam azatun" is no farewell
                # because azatun looks like ejazatun.
                decisive = len(content_words) >= 2 or rest_match.intent in self._matcher.keyword_scores(rest)
                if (rest_match.intent == GOODBYE and decisive
                        and GREETING not in self._matcher.opening_intents(tokens)):
                    return rest_match  # "مرسی خداحافظ": thanks on leaving is a farewell
                if (rest_intent is not None and not rest_intent.social
                        and rest_intent.name != GOODBYE) and decisive:
                    return rest_match
                if (rest_match.intent == NO_INTENT and len(content_words) >= 2
                        and self._asks_in_last_clause(text[:_MAXIMUM_CHARACTERS], excluded)
                        and not self._matcher.keyword_scores(rest).keys() & self._matcher.social):
                    # "سلام، ماگ‌ها تو ماکروویو میرن؟": small talk in front of a question no intent
                    # answers is that question, not a greeting.
                    return IntentMatch(NO_INTENT, rest_match.confidence)
        if match.intent in (THANKS, GREETING) and "?" in nlp.normalize(text[:_MAXIMUM_CHARACTERS]):
            # "عالی بود ممنون. راستی تا کی بازید؟": thanks around a question; the question decides.
            for question in question_tokens(text[:_MAXIMUM_CHARACTERS]):
                if stated_requests.asks_whether_anyone_answers(question):
                    continue  # "شب بخیر سلام، هستین؟" asks no opening hours
                asked, _ = self._classify(question, excluded)
                asked_intent = self.intents.get(asked.intent)
                if asked_intent is not None and not asked_intent.social and asked.intent != GOODBYE:
                    return asked
        if (match.intent == NO_INTENT and HUMAN_AGENT in self.intents and not ambiguous
                and (stated_requests.complains_about_the_bot(said) or stated_requests.asks_for_someone_named(said)
                     or stated_requests.asks_for_a_call_back(said))):
            # "khaste shodam az in bot", "ba modir e forooshgah kar daram": the bot faulted, someone asked for by name
            return IntentMatch(HUMAN_AGENT, max(match.confidence, self.threshold))
        if (match.intent in (NO_INTENT, PRICING) and "business_hours" in self.intents and not ambiguous and (
                stated_requests.asks_when_it_opens(tokens) or match.intent == NO_INTENT
                and stated_requests.asks_when_to_call(tokens))):
            # "shanbe ha az chand baz mishe?", "what's the best time to phone the shop?": the opening hours
            return IntentMatch("business_hours", max(match.confidence, self.threshold))
        if (match.intent == NO_INTENT and PRICING in self.intents and PRICING not in excluded
                and opens_with_a_price(text[:_MAXIMUM_CHARACTERS], tokens)):
            return IntentMatch(PRICING, max(match.confidence, self.threshold))  # "قیمت طبقه شیشه ای یخچال سامسونگ؟"
        if match.intent == NO_INTENT and not ambiguous:
            asked = self._request_after_statements(text[:_MAXIMUM_CHARACTERS], excluded)
            if asked is not None and not (asked.intent == ORDER_STATUS and changes_the_order(tokens)):
                return asked  # ("cancel my order plz, found it somewhere else" asks after no parcel)
            questions = question_tokens(text[:_MAXIMUM_CHARACTERS])
            if ORDER_STATUS in self.intents and not changes_the_order(tokens) and (
                    asks_where_a_parcel_is(tokens) or any(asks_where_a_parcel_is(question) for question in questions)
                    or asks_whether_it_has_shipped(questions)):
                # "بسته من الان کجاست؟", "kif ro key mifrestin?": where it is or when it comes; "… پست شد؟"
                return IntentMatch(ORDER_STATUS, max(match.confidence, self.threshold))
            for question in questions:
                # "جلدی چند؟ برای کتابای هشتم": how much, asked before a remark, ends its own question.
                if PRICING in self.intents and (_asks_how_much_at_the_end(question) or asks_what_it_comes_to(question)):
                    asked, _ = self._classify(question, excluded)
                    if asked.intent == PRICING:
                        return asked
            if ORDER_STATUS in self.intents and stated_requests.states_a_wait(tokens) and not changes_the_order(tokens):
                # "گفتین ۴۸ ساعته، الان ۵ روز گذشته", "paid, nothing came": a wait stated asks for the status.
                return IntentMatch(ORDER_STATUS, max(match.confidence, self.threshold))
            if (PRICING in self.intents and stated_requests.compares_prices(tokens)
                    and not reviews_in_the_past(text[:_MAXIMUM_CHARACTERS], tokens)
                    and not only_remarks_on_a_price(text[:_MAXIMUM_CHARACTERS], tokens)
                    and PRICING in self._evidence(tokens)[2]):
                # "ghmt sfid ba khakestari yekie?": a price set against another is a price question.
                return IntentMatch(PRICING, max(match.confidence, self.threshold))
        if match.intent == THANKS:
            # "ممنون، تا بعد" / "thanks, bye!": a last clause that takes leave decides.
            clauses = clause_tokens(text[:_MAXIMUM_CHARACTERS])
            if len(clauses) > 1 and self._classify(clauses[-1], excluded)[0].intent == GOODBYE:
                return IntentMatch(GOODBYE, match.confidence)
            # "see you, mersi 😘", "شبتون بخیر ممنون بابت همه چی": leave taken first, thanks after, is a farewell too.
            if (GOODBYE in self.intents and not excluded and "?" not in nlp.normalize(text[:_MAXIMUM_CHARACTERS])
                    and (len(clauses) > 1 and self._classify(clauses[0], excluded)[0].intent == GOODBYE
                         or self._matcher.opening_intents(tokens) & {GOODBYE, GREETING} == {GOODBYE})):
                return IntentMatch(GOODBYE, match.confidence)
        if (match.intent == HUMAN_AGENT and "business_hours" in self.intents
                and stated_requests.asks_when_to_call(tokens)):
            return IntentMatch("business_hours", match.confidence)  # "when can I call?" asks the hours
        if (match.intent == "business_hours" and HUMAN_AGENT in self.intents
                and stated_requests.asks_to_be_called_back(tokens)):
            # "when will you call me?": the model, taught that "when can I call?" asks the hours, votes for them.
            return IntentMatch(HUMAN_AGENT, match.confidence)
        if match.intent in (HUMAN_AGENT, GREETING) and stated_requests.judges_the_bot_or_a_person(tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "ربات خوبی هستی" asks for nobody
        if match.intent == PRICING and asks_a_measure(tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "قد شلوار چنده؟": a length, not a price
        if (match.intent == "business_hours" and speaks_of_a_watch(tokens)
                and "business_hours" not in self._matcher.keyword_scores(without_hour_words(tokens))):
            return IntentMatch(NO_INTENT, match.confidence)  # "این ساعت تاریخ شمسی هم نشون میده؟": a watch
        if match.intent == PRICING and (freed := free_of_something(tokens)) is not None and (
                PRICING not in self._matcher.keyword_scores(freed)):
            return IntentMatch(NO_INTENT, match.confidence)  # "is it vegan, cruelty free?": what it is free of
        if match.intent == PRICING and lets_a_high_price_go(text[:_MAXIMUM_CHARACTERS], tokens):
            # "گرونه ولی ارزششو داره": nothing asked of the price; "…، ممنون" thanks.
            thanked = THANKS in self.intents and THANKS in self._matcher.keyword_scores(tokens)
            return IntentMatch(THANKS if thanked else NO_INTENT, match.confidence)
        if match.intent == HUMAN_AGENT and (owned := stated_requests.without_someone_elses(tokens)) is not None and (
                HUMAN_AGENT not in self._matcher.keyword_scores(owned)):
            return IntentMatch(NO_INTENT, match.confidence)  # "you sent me someone else's order": nobody asked for
        if match.intent == HUMAN_AGENT and stated_requests.names_a_phone_carrier(tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "اپراتور گوشیم ایرانسله": the phone's carrier
        if match.intent == ORDER_STATUS and stated_requests.came_then_turns(tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "بسته رسید ولی یکیش کم بود": what came, then a fault
        if match.intent == ORDER_STATUS and changes_the_order(tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "سفارش اینجانب لغو گردد": changed, not asked after
        if match.intent == ORDER_STATUS and stated_requests.states_what_came(text[:_MAXIMUM_CHARACTERS], tokens):
            # "بسته رو گرفتم": nothing asked of an order; "سفارشم رسید، ممنون" thanks for it.
            thanked = THANKS in self.intents and THANKS in self._matcher.keyword_scores(tokens)
            return IntentMatch(THANKS if thanked else NO_INTENT, match.confidence)
        if (match.intent == "business_hours" and ORDER_STATUS in self.intents
                and stated_requests.names_an_order_arriving(tokens) and not changes_the_order(tokens)):
            return IntentMatch(ORDER_STATUS, match.confidence)  # "بسته ساعت چند میرسه؟": when it comes, not the hours
        if (match.intent == "business_hours" and ORDER_STATUS in self.intents and stated_requests.states_a_wait(tokens)
                and not changes_the_order(tokens)):
            return IntentMatch(ORDER_STATUS, match.confidence)  # "شنبه گفتین میرسه الان چهارشنبه ست!": days of a wait
        if (match.intent == GOODBYE and ORDER_STATUS in self.intents and stated_requests.names_an_arrival(tokens)
                and not self._matcher.keyword_scores(stated_requests.without_days(tokens)).keys() & {GOODBYE}):
            # "ta farda mirese?": "until tomorrow" dates the arrival; nobody takes leave.
            return IntentMatch(ORDER_STATUS, match.confidence)
        if match.intent == GOODBYE and stated_requests.puts_off_or_laughs(tokens) and GOODBYE not in (
                self._matcher.keyword_scores(stated_requests.without_for_now(tokens))):
            return IntentMatch(NO_INTENT, match.confidence)  # "maybe later", "فعلا نه": nobody leaves
        if match.intent == NO_INTENT and not ambiguous and GOODBYE in self.intents:
            farewell = self._farewell_clause(text[:_MAXIMUM_CHARACTERS], excluded)
            if farewell is not None:
                return farewell
        if (match.intent in (GREETING, HUMAN_AGENT, NO_INTENT) and "business_hours" in self.intents
                and stated_requests.asks_whether_reached_at_a_time(text[:_MAXIMUM_CHARACTERS], tokens)
                and not speaks_of_a_watch(tokens)):
            return IntentMatch("business_hours", max(match.confidence, self.threshold))  # "جمعه‌ها هم میشه زنگ زد؟"
        if (match.intent in (GREETING, GOODBYE, "business_hours", "human_agent", NO_INTENT)
                and stated_requests.may_ask_whether_anyone_answers(tokens)
                and stated_requests.asks_whether_anyone_answers(tokens[self._matcher.social_prefix_length(tokens):])
                and not stated_requests.asks_for_someone_named(tokens)):
            return IntentMatch(GREETING, match.confidence)  # "سلام، جواب میدین؟" asks no opening hours
        if (match.intent == GREETING and HUMAN_AGENT in self.intents and not excluded
                and stated_requests.asks_for_someone_named(said)):
            return IntentMatch(HUMAN_AGENT, match.confidence)  # "خانم رضایی هستن؟": someone named, asked for
        if match.intent == GREETING and self._says_more_than_hello(tokens, excluded):
            return IntentMatch(NO_INTENT, match.confidence)  # "salam, the site won't open since last night"
        if asks_beside_the_intent(match.intent, text[:_MAXIMUM_CHARACTERS], tokens):
            return IntentMatch(NO_INTENT, match.confidence)  # "نرخ دلار امروز چنده؟" asks no shop's price
        if match.intent == GREETING:
            keywords = self._matcher.keyword_scores(tokens)
            if GREETING not in keywords and (GOODBYE in keywords or stated_requests.wishes_a_good_time(tokens)):
                # "شب بخیر عزیزم", "روز خوبی داشته باشین": a wish for the night or the day ahead with no word
                # of greeting takes leave.
                return IntentMatch(GOODBYE, match.confidence)
        if match.intent == GOODBYE and GREETING in self._matcher.opening_intents(tokens):
            # "سلام، شب بخیر" / "salam, ruzetun khosh" is said on arriving, not leaving.
            return IntentMatch(GREETING, match.confidence)
        if match.intent == NO_INTENT and not excluded and self._thanks_then_tells(tokens, text[:_MAXIMUM_CHARACTERS]):
            return IntentMatch(THANKS, max(match.confidence, self.threshold))
        return match

    def _misspelt_command(self, kept: Sequence[str]) -> str | None:
        """The exact command a short message types with a slip: said more than once ("لغو۱۱ لغو۱۱ لغو۱۱"), ق for
        غ ("لقو"), its last letter doubled ("لغوو"), two letters swapped ("sotp")."""
        if not kept or len(kept) > _MISSPELT_COMMAND_WORDS:
            return None
        if len(kept) > 1 and len(set(kept)) == 1:
            kept = kept[:1]
        for variant in _command_variants(tuple(kept)):
            found = self._matcher.exact.get(" ".join(variant))
            if found is None and variant != tuple(kept) and all(word.isascii() for word in variant):
                found = self._matcher.exact_consonants.get(consonant_key(variant))  # lqv → lghv, laghv's consonants
            if found is not None:
                return found
        return None

    def _thanks_then_tells(self, tokens: Sequence[str], text: str) -> bool:
        """Whether a message opens with thanks and only tells what followed ("thanks, the earrings arrived and my
        sister loved them", "ممنون، انگشترو گرفتم همسرم خیلی خوشش اومد"): no question, no turn ("ولی", "راستی",
        "but") and no thanks ahead of a request ("ممنون میشم اگه …"). The model reads the story as none.
        """
        if not (THANKS in self.intents and tokens and THANKS in self._matcher.words.get(tokens[0], ())
                and "?" not in nlp.normalize(text) and stated_requests.TURNS.isdisjoint(tokens)
                and stated_requests.without_thanks_ahead(tokens) is None):
            return False
        # What follows must be glad: a praise or a gladness beside the thanks, not the thanks alone ("thanks,
        # please cancel my order" asks something; "ممنون، محصول خراب رسید" complains).
        told = sentiment.analyze_sentiment(text)
        return told.label == "positive" and any(
            cue.rsplit("+", 1)[0] not in self._matcher.words or THANKS not in self._matcher.words[cue.rsplit("+", 1)[0]]
            for cue in told.matched if "+" in cue)

    def _farewell_clause(self, text: str, excluded: frozenset[str]) -> IntentMatch | None:
        """A farewell said in a clause of its own, in a message of statements that is none as a whole (else None).

        "ok bye, maybe I'll come back": the model, taught that a decision put off is none, votes none on the
        whole; the clause "ok bye" takes leave with a farewell keyword. Not when anything is asked.
        """
        clauses = clause_tokens(text)
        if len(clauses) < 2 or question_tokens(text):
            return None
        for clause in clauses:
            if GOODBYE in self._matcher.keyword_scores(clause):
                farewell, _ = self._classify(clause, excluded)
                if farewell.intent == GOODBYE:
                    return farewell
        return None

    def _introduces_the_writer(self, text: str, tokens: Sequence[str], rest: Sequence[str]) -> bool:
        """Whether a greeting is followed only by who the writer is (`stated_requests.introduces_the_writer`), in a
        tone that is not negative once the apologies and wishes are set aside ("hi, I'm Sara, the kettle I bought
        stopped working" reports; "salam, sorry for the late msg, man moshtarie ghadimitoonam" does not)."""
        clauses = [(clause, clause[self._matcher.social_prefix_length(clause):]) for clause in clause_tokens(text)]
        if not stated_requests.introduces_the_writer(tokens, rest, clauses):
            return False
        told = " ".join(" ".join(clause) for clause, greeted in clauses
                        if greeted and not stated_requests.only_wishes_well(greeted))
        return sentiment.analyze_sentiment(told).label != "negative"

    def _says_more_than_hello(self, tokens: Sequence[str], excluded: frozenset[str]) -> bool:
        """Whether a message taken for a greeting goes on to say something no intent answers.

        "سلام، امروز اولین بار سرمو زدم", "salam, your site won't open": the greeting opens a message
        about something else. The rest needs three content words, no social keyword and nothing an
        intent answers alone; a topic no intent answers (a return, a site that does not open) needs two.
        """
        if len(tokens) < _CONTENT_AFTER_A_GREETING:
            return False  # the common short greeting, without reading its prefix
        rest = tokens[self._matcher.social_prefix_length(tokens):]
        if names_a_topic_no_intent_answers(rest):
            return True
        content_words = [token for token in rest
                         if token not in nlp.STOPWORDS and token not in stated_requests.ADDRESS_AND_COURTESY]
        if len(content_words) < _CONTENT_AFTER_A_GREETING or self._matcher.keyword_scores(rest).keys() & (
                self._matcher.social | {GOODBYE}):
            return False
        return self._classify(rest, excluded)[0].intent == NO_INTENT

    def _asks_in_last_clause(self, text: str, excluded: frozenset[str]) -> bool:
        """Whether the message's last clause is a question that no intent answers on its own.

        "ممنونم از شما که جواب دادین، کی ارسال میشه؟": the rest after the thanks is none as a
        whole, but its last question asks for the order's status.
        """
        clauses = clause_tokens(text)
        questions = question_tokens(text)
        if not (clauses and questions) or questions[-1] != clauses[-1]:
            return False
        # "سلام mixer دستی دارید؟": a one-clause message is asked without the small talk in front of it.
        asked = questions[-1][self._matcher.social_prefix_length(questions[-1]):] or questions[-1]
        return self._classify(asked, excluded)[0].intent == NO_INTENT

    def _request_after_statements(self, text: str, excluded: frozenset[str]) -> IntentMatch | None:
        """The request of a message that states something and then asks (else None).

        "I paid yesterday, when will you send it?": the statement is near an out-of-scope example
        (paying) and pulls the whole message to none; the question that ends it is the request.
        Only a last clause of three words or more that is the one question ("چرا جواب نمیدین؟
        پیامم رسید؟" asks twice; "avaz mikonid?" is too short to decide alone).
        """
        clauses = clause_tokens(text)
        questions = question_tokens(text)
        if len(clauses) < 2 or len(questions) != 1 or questions[0] != clauses[-1] or len(questions[0]) < 3:
            return None
        asked, _ = self._classify(questions[0], excluded)
        asked_intent = self.intents.get(asked.intent)
        if asked_intent is None or asked_intent.social or asked.intent == GOODBYE:
            return None
        said = self._matcher.respelled(_word_tokens(text))
        if asked.intent == ORDER_STATUS and changes_the_order(said):
            return None  # "کارت به کارت کردم ولی …، پرداختم انجام شده یا نه؟": a payment asked after, no parcel
        if (asked.intent == HUMAN_AGENT and "business_hours" in self.intents
                and stated_requests.asks_whether_reached_at_a_time(text, said)):
            # "شنبه صبح زود، مثلا ۸، کسی اونجا هست جواب تلفن بده؟": whether anyone answers at an hour named
            return IntentMatch("business_hours", asked.confidence)
        return asked

    def _request_after_a_turn(self, tokens: Sequence[str], excluded: frozenset[str], text: str) -> IntentMatch | None:
        """The request after "but", "just" or "by the way" that follows small talk (else None).

        "مرسی از جوابتون فقط کی به دستم میرسه", "thanks for answering but the parcel still hasn't come":
        with no punctuation the thanks decides the whole; what follows the turn is the request.
        """
        position = next((index for index, token in enumerate(tokens) if index and token in stated_requests.TURNS), None)
        if position is None or len(tokens) - position - 1 < 2:
            return None
        asked, _ = self._classify(tokens[position + 1:], excluded)
        if (asked.intent == NO_INTENT and nlp.normalize(text).rstrip().endswith("?")
                and THANKS in self._matcher.opening_intents(tokens) and len(tokens) - position - 1 >= 3):
            # "ممنون از پیگیریتون، فقط یه سوال، این … یدکی هم داره؟": thanks for what was done, then a
            # question no intent answers (the thanks named a follow-up, an order_status word).
            return asked
        asked_intent = self.intents.get(asked.intent)
        if asked_intent is None or asked_intent.social or asked.intent == GOODBYE:
            return None
        if asks_beside_the_intent(asked.intent, text, tokens):
            return IntentMatch(NO_INTENT, asked.confidence)  # "mrc, vali in baraye 8 sale …": years, no sale
        return asked

    def _thanks_for_something(self, tokens: Sequence[str], text: str) -> str | None:
        """The social intent of a one-clause "thanks for …" / "مرسی بابت …" message, else None.

        After thanks (not a greeting) "که" and "از" name what is thanked for too: "مرسی که جواب
        دادید", "ممنون از پشتیبانی خوبتون", "merci ke javab dadid".
        """
        position = next((index for index, token in enumerate(tokens)
                         if token in FOR_WORDS or token in THANKS_FOR_WORDS), None)
        if not position or position >= len(tokens) - 1:
            return None
        if self._matcher.social_prefix_length(tokens[:position]) != position:
            return None  # something other than small talk comes before "for"
        if not stated_requests.TURNS.isdisjoint(tokens[position:]):
            return None  # "ممنون از جوابتون ولی بسته هنوز نرسیده": what follows the turn decides
        if len(next(iter(clause_tokens(text[:_MAXIMUM_CHARACTERS])), [])) < len(tokens):
            return None  # "thanks for the reply, when does it arrive?": the question decides
        first_word = next((index for index, token in enumerate(tokens) if token not in nlp.STOPWORDS), 0)
        social = self._matcher.opening_intents(tokens[first_word:]) & self._matcher.social  # خیلی ممنون
        if tokens[position] not in FOR_WORDS:
            social &= {THANKS}
        if social and GOODBYE in self.intents and GOODBYE in self._matcher.keyword_scores(tokens[position:]):
            return GOODBYE  # "مرسی از وقتی که گذاشتین، روز خوبی داشته باشین خدانگهدار": thanks on leaving
        return sorted(social)[0] if social else None

    def _classify(self, tokens: Sequence[str], excluded: frozenset[str] = frozenset()) -> tuple[IntentMatch, bool]:
        """Rank labels by model probability and matcher evidence; apply threshold and margin.

        The flag tells that only the margin rule said `none`. Opt-out is never picked
        here: it needs the explicit request `recognize_intent` checks first.
        """
        evidence, out_of_scope_score, keyword_hits = self._evidence(tokens)
        evidence[NO_INTENT] = out_of_scope_score
        if out_of_scope_score >= _REPEATS_OUT_OF_SCOPE:
            # The message (nearly) repeats an out-of-scope example: the rules say it is none.
            return IntentMatch(NO_INTENT, round(out_of_scope_score, 4)), False
        ranked = sorted(
            ((_MODEL_SHARE * probability + (1 - _MODEL_SHARE) * evidence.get(label, 0.0), label)
             for probability, label in self._model.probabilities(tokens) if label != OPT_OUT and label not in excluded),
            reverse=True)
        best_evidence = max(evidence.values(), default=0.0)
        if not ranked or ranked[0][1] == NO_INTENT:
            return IntentMatch(NO_INTENT, round(best_evidence, 4)), False
        if self.intents[ranked[0][1]].needs_keyword and ranked[0][1] not in keyword_hits:
            # "سایز ۴۲ دارین؟" is near "تخفیف دارین؟" but names no price: no price question.
            return IntentMatch(NO_INTENT, round(best_evidence, 4)), False
        score, best_intent = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        threshold = self.intents[best_intent].threshold
        threshold = self.threshold if threshold is None else threshold
        if evidence.get(best_intent, 0.0) < threshold:
            return IntentMatch(NO_INTENT, round(best_evidence, 4)), False
        if score - runner_up < self.margin:
            return IntentMatch(NO_INTENT, round(score, 4)), True
        return IntentMatch(best_intent, round(min(score, 1.0), 4)), False

    def _evidence(self, tokens: Sequence[str]) -> tuple[dict[str, float], float, set[str]]:
        """Per intent, the best example similarity lifted by keyword hits, in [0, 1]; the best
        similarity to an out-of-scope example; and the intents with a keyword hit."""
        scores = self._matcher.ngram_scores(tokens)
        combined = {label: score for score, label in scores if label != NO_INTENT}
        out_of_scope_score = next((score for score, label in scores if label == NO_INTENT), 0.0)
        keyword_evidence = self._matcher.keyword_scores(tokens)
        if PRICING in self.intents and _asks_how_much_at_the_end(tokens):
            keyword_evidence[PRICING] = max(keyword_evidence.get(PRICING, 0.0), 1.0)
        elif PRICING in self.intents and (
                (not PAYING_WORDS.isdisjoint(tokens) and not HOW_MUCH_WORDS.isdisjoint(tokens))
                or asks_what_it_comes_to(tokens) or any(
                    first in HOW_MANY_WORDS and second in PAYING_WORDS
                    for first, second in zip(tokens, tokens[1:], strict=False))):  # "پیک چند میگیره؟"
            keyword_evidence[PRICING] = max(keyword_evidence.get(PRICING, 0.0), 1.0)
        for intent, evidence in keyword_evidence.items():
            score = combined.get(intent, 0.0)
            combined[intent] = min(1.0, score + (1.0 - score) * _KEYWORD_WEIGHT * evidence)
        return combined, out_of_scope_score, set(keyword_evidence)

    @property
    def media_response(self) -> str | None:
        """The first reply to an incoming photo/voice/file (all: `responses_for("media")`)."""
        return self.media_responses[0] if self.media_responses else None

    def responses_for(self, key: str) -> tuple[str, ...]:
        """Reply variants of an intent, of `away` or `media`; the fallback for anything else."""
        if key == AWAY_KEY:
            return self.away
        if key == MEDIA_KEY:
            return self.media_responses
        known = self.intents.get(key)
        return known.responses if known is not None else self.fallback


def render_response(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` / `{name|fallback}` placeholders; no format(), no attributes."""
    def replace(match: re.Match[str]) -> str:
        token = match.group()
        if token in ("{{", "}}"):
            return token[0]
        name, fallback = match.group(1), match.group(2)
        if name is None or not _IDENTIFIER.fullmatch(name.strip()):
            return token
        name = name.strip()
        raw_value = values.get(name)
        value = "" if raw_value is None else " ".join(str(raw_value).split())
        if value:
            return value
        if fallback is not None:
            return fallback.strip() or _EMPTY_VALUE
        return _EMPTY_VALUE if name in ALLOWED_PLACEHOLDERS or name in values else token

    rendered = _PLACEHOLDER.sub(replace, template)
    # An empty value takes its neighbouring space with it: "سلام {name}!" → "سلام!",
    # and at the start of a line also the comma after it: "{name}، خوش آمدید".
    rendered = re.sub(f"(?m)^{_EMPTY_VALUE}[ ,،]*", "", rendered)
    return re.sub(f" ?{_EMPTY_VALUE}", "", rendered).strip()


def template_problem(template: str) -> str | None:
    """Return why a reply template is invalid, or None when it is fine."""
    for match in _PLACEHOLDER.finditer(template):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            return f"unbalanced {token!r} in reply (write {token * 2} for a literal brace)"
        name = match.group(1).strip()
        if not _IDENTIFIER.fullmatch(name):
            return f"bad placeholder {token!r}: expected {{name}} or {{name|fallback}}"
        if name not in ALLOWED_PLACEHOLDERS:
            allowed = ", ".join(sorted(ALLOWED_PLACEHOLDERS))
            return f"unknown placeholder {{{name}}} (allowed: {allowed})"
    return None


def choose_response(variants: Sequence[str], rng: random.Random | None = None) -> str:
    """Pick one reply variant at random; pass a seeded `rng` for repeatable picks."""
    if not variants:
        raise ValueError("no reply variants to choose from")
    return (rng or random).choice(list(variants))
