"""Loading and validating the chatbot's rules file (YAML) into a `RuleSet` (a `ChatbotRules`).

Errors name the file, the line (from the YAML node marks, so schema errors have one
too) and the reason; a malformed file stops start-up instead of answering wrongly. The
file may name a `training_messages` file (labelled messages, `text<TAB>intent`, that the
intent model learns from beside the examples): found beside the rules file, else in the
shipped rules/ directory; a label that is no intent of the rules (nor `none`) is an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from inbound.shapes import EVENT_PLACEHOLDERS, EVENT_REPLY_KEYS
from language.intent_rules import (
    _IDENTIFIER,
    _INTENT_NAME,
    _PLACEHOLDER,
    ALLOWED_PLACEHOLDERS,
    AWAY_KEY,
    DEFAULT_MARGIN,
    DEFAULT_THRESHOLD,
    MEDIA_KEY,
    MEDIA_TYPES,
    NO_INTENT,
    Intent,
    MediaResponse,
    RulesError,
    RuleSet,
    _word_tokens,
    template_problem,
)
from language.sentiment_lexicon import SAFE_LOADER

_TOP_LEVEL_KEYS = ("threshold", "margin", "fallback", "away", "media", "out_of_scope", "training_messages",
                   "events", "apology", "handoff_offer", "intents")
_INTENT_KEYS = ("examples", "keywords", "exact", "responses", "apologetic", "media_response", "threshold", "social",
                "needs_keyword")
APOLOGY_KEY, HANDOFF_OFFER_KEY = "apology", "handoff_offer"
_NULL_TAG = "tag:yaml.org,2002:null"
LANGUAGES = ("fa", "en")  # reply languages; a plain list of replies serves both
SHIPPED_RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "rules"


class ChatbotRules(RuleSet):
    """The intents and replies, plus the replies to non-text events (the `events:` section)."""

    def __init__(self, *args: Any, event_responses: Mapping[str, tuple[str, ...]] | None = None,
                 localized: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
                 tone: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_responses = dict(event_responses or {})
        # key (intent name, "fallback", "away", "media", "event:<kind>") -> language -> variants;
        # only for keys written as a {fa: [...], en: [...]} mapping in the file.
        self.localized = {key: dict(by_language) for key, by_language in (localized or {}).items()}
        # "apologetic:<intent>", "apology", "handoff_offer" -> language -> variants (`reply_tone` has defaults).
        self.tone = {key: dict(by_language) for key, by_language in (tone or {}).items()}

    def tone_responses(self, key: str, language: str) -> tuple[str, ...]:
        """Variants of a tone text ("apology", "handoff_offer", "apologetic:<intent>") in `language`; () if unset."""
        return self.tone.get(key, {}).get(language, ())

    def localized_responses(self, key: str, language: str) -> tuple[str, ...]:
        """The reply variants of `key` in `language` ("fa" or "en"); the plain list when not split."""
        if key.startswith("event:"):
            plain = self.event_responses.get(key.removeprefix("event:"), ())
        elif key in (AWAY_KEY, MEDIA_KEY) or key in self.intents:
            plain = self.responses_for(key)
        else:  # like responses_for: anything else gets the fallback
            key, plain = "fallback", self.fallback
        return self.localized.get(key, {}).get(language) or plain


def event_template_problem(template: str, key: str) -> str | None:
    """Why a reply to event `key` is invalid (its placeholders: the usual ones plus the event's), or None."""
    allowed = ALLOWED_PLACEHOLDERS | EVENT_PLACEHOLDERS.get(key, frozenset())
    for match in _PLACEHOLDER.finditer(template):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        name = (match.group(1) or "").strip()
        if match.group(1) is None or not _IDENTIFIER.fullmatch(name):
            return f"bad placeholder {token!r}: expected {{name}} or {{name|fallback}} (write {{{{ for a brace)"
        if name not in allowed:
            return f"unknown placeholder {{{name}}} (allowed: {', '.join(sorted(allowed))})"
    return None


def load_rules(path: str | Path) -> RuleSet:
    """Load and validate a rules file; raise RulesError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{path}: cannot read the rules file: {error}") from error
    return parse_rules(text, source=str(path), directory=path.parent)


def read_training_messages(path: Path, labels: set[str], *, skip_unknown: bool = False) -> tuple[tuple[str, str], ...]:
    """Read a `text<TAB>label` file of labelled messages (# comments, blank lines and an optional
    `text<TAB>intent` header skipped); every label must be an intent of the rules or `none`, or with
    `skip_unknown` a message of another label is left out (the shipped file read by a rules file that
    has dropped one of the shipped intents)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{path}: cannot read the training messages: {error}") from error
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, separator, label = line.rpartition("\t")
        text, label = text.strip(), label.strip()
        if not separator or not text or not label:
            raise RulesError(f"{path}:{number}: expected text<TAB>label")
        if (text.lower(), label.lower()) == ("text", "intent"):
            continue
        if label not in labels and skip_unknown:
            continue
        if label not in labels:
            raise RulesError(f"{path}:{number}: unknown label {label!r} (expected an intent of the rules or "
                             f"{NO_INTENT!r})")
        rows.append((text, label))
    return tuple(rows)


def parse_rules(text: str, source: str = "<rules>", directory: str | Path = ".") -> RuleSet:
    """Build a RuleSet from YAML text; `source` names the file in error messages, and a
    `training_messages` file is found relative to `directory` (the rules file's)."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = error.problem or error.context or "syntax error"
        raise RulesError(f"{source}:{line}: invalid YAML: {reason}") from error
    except yaml.YAMLError as error:
        raise RulesError(f"{source}: invalid YAML: {error}") from error
    if root is None:
        raise RulesError(f"{source}:1: the rules file is empty")
    return _RulesReader(source, Path(directory)).rule_set(root)


class _RulesReader:
    """Walks the composed YAML nodes so every schema error can name its line."""

    def __init__(self, source: str, directory: Path = Path(".")) -> None:
        self.source = source
        self.directory = directory
        self.exact_owners: dict[str, str] = {}
        self.localized: dict[str, dict[str, tuple[str, ...]]] = {}
        self.tone: dict[str, dict[str, tuple[str, ...]]] = {}

    def error(self, node: yaml.Node, reason: str) -> RulesError:
        return RulesError(f"{self.source}:{node.start_mark.line + 1}: {reason}")

    def mapping(self, node: yaml.Node, what: str, allowed: Sequence[str] | None,
                required: Sequence[str] = ()) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping of keys to values")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL_TAG:
                raise self.error(key_node, f"keys of {what} must be text")
            key = key_node.value
            if key in entries:
                raise self.error(key_node, f"duplicate key {key!r} in {what}")
            if allowed is not None and key not in allowed:
                expected = ", ".join(allowed)
                raise self.error(key_node, f"unknown key {key!r} in {what} "
                                           f"(expected one of: {expected})")
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                raise self.error(node, f"{what} is missing the required key {key!r}")
        return entries

    def text(self, node: yaml.Node, what: str, template: bool = False) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
            raise self.error(node, f"{what} must be text (quote it if in doubt)")
        value = node.value.strip()
        if not value:
            raise self.error(node, f"{what} must not be empty")
        problem = template_problem(value) if template else None
        if problem:
            raise self.error(node, f"{what}: {problem}")
        return value

    def text_list(self, node: yaml.Node, what: str, template: bool = False,
                  needs_words: bool = False) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, f"{what} must be a non-empty list")
        values = []
        for item in node.value:
            value = self.text(item, f"an item of {what}", template)
            if needs_words and not _word_tokens(value):
                raise self.error(item, f"{value!r} in {what} has no words to match")
            values.append(value)
        return tuple(values)

    def replies(self, node: yaml.Node, what: str, key: str,
                check: Callable[[yaml.Node, str], str] | None = None) -> tuple[str, ...]:
        """A list of reply variants (every language) or a {fa: [...], en: [...]} mapping.

        Returns the variants for Persian (a mapping must have them); the English ones of a
        mapping are kept in `self.localized[key]`.
        """
        if isinstance(node, yaml.MappingNode):
            by_language = {}
            for language, (_key_node, value_node) in self.mapping(node, what, LANGUAGES, ("fa",)).items():
                by_language[language] = self.replies(value_node, f"{what}.{language}", key, check)
            self.localized[key] = by_language
            return by_language["fa"]
        if check is None:
            return self.text_list(node, what, template=True)
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, f"{what} must be a non-empty list (or a mapping of fa/en to lists)")
        return tuple(check(item, f"an item of {what}") for item in node.value)

    def tone_replies(self, node: yaml.Node, what: str, key: str) -> None:
        """Read a tone text into `self.tone[key]`: a plain list serves both languages; a {fa, en} mapping
        without `en` leaves English writers to the built-in text (not a Persian one)."""
        persian = self.replies(node, what, key)
        english = self.localized.pop(key).get("en", ()) if key in self.localized else persian
        self.tone[key] = {"fa": persian} | ({"en": english} if english else {})

    def flag(self, node: yaml.Node, what: str) -> bool:
        value = self.text(node, what).lower()
        if value not in ("true", "false"):
            raise self.error(node, f"{what} must be true or false")
        return value == "true"

    def number(self, node: yaml.Node, what: str) -> float:
        try:
            value = float(self.text(node, what))
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise self.error(node, f"{what} must be a number between 0 and 1")
        return value

    def rule_set(self, root: yaml.Node) -> RuleSet:
        top = self.mapping(root, "the rules file", _TOP_LEVEL_KEYS,
                           required=("intents", "fallback"))
        media_responses: tuple[str, ...] = ()
        if "media" in top:
            media = self.mapping(top["media"][1], "media", ("responses",), ("responses",))
            media_responses = self.replies(media["responses"][1], "media.responses", MEDIA_KEY)
        intents_node = top["intents"][1]
        named = self.mapping(intents_node, "intents", None)
        if not named:
            raise self.error(intents_node, "intents must list at least one intent")
        intents = [self.intent(name, *nodes) for name, nodes in named.items()]
        for key in (APOLOGY_KEY, HANDOFF_OFFER_KEY):
            if key in top:
                self.tone_replies(top[key][1], key, key)
        return ChatbotRules(
            localized=self.localized,
            tone=self.tone,
            event_responses=self.events(top["events"][1]) if "events" in top else None,
            intents=intents,
            fallback=self.replies(top["fallback"][1], "fallback", "fallback"),
            threshold=(self.number(top["threshold"][1], "threshold")
                       if "threshold" in top else DEFAULT_THRESHOLD),
            margin=(self.number(top["margin"][1], "margin")
                    if "margin" in top else DEFAULT_MARGIN),
            out_of_scope=(self.text_list(top["out_of_scope"][1], "out_of_scope",
                                         needs_words=True)
                          if "out_of_scope" in top else ()),
            media_responses=media_responses,
            away=(self.replies(top["away"][1], "away", AWAY_KEY) if "away" in top else ()),
            training=(self.training_messages(top["training_messages"][1], {intent.name for intent in intents})
                      if "training_messages" in top else ()),
        )

    def training_messages(self, node: yaml.Node, intents: set[str]) -> tuple[tuple[str, str], ...]:
        """The labelled messages of the file named by `training_messages` (relative to the rules file)."""
        name = self.text(node, "training_messages")
        path = Path(name)
        if path.is_absolute() or ".." in path.parts:
            raise self.error(node, "training_messages must name a file beside the rules file or below it")
        beside = self.directory / path
        if beside.is_file():
            return read_training_messages(beside, intents | {NO_INTENT})
        # A rules file copied elsewhere (CHATBOT_RULES_PATH) learns from the shipped messages, as it
        # answers orders with the shipped orders.yaml when it has none beside it; an intent the operator
        # removed from the copy leaves its messages out instead of stopping start-up.
        shipped = SHIPPED_RULES_DIRECTORY / path
        if not shipped.is_file():
            raise self.error(node, f"training_messages: no file {name!r} beside the rules file "
                                   f"({str(beside)!r}) or in {str(SHIPPED_RULES_DIRECTORY)!r}")
        return read_training_messages(shipped, intents | {NO_INTENT}, skip_unknown=True)

    def events(self, node: yaml.Node) -> dict[str, tuple[str, ...]]:
        responses = {}
        for key, (_key_node, value_node) in self.mapping(node, "events", EVENT_REPLY_KEYS).items():
            what = f"events.{key}"

            def check(item: yaml.Node, item_what: str, key: str = key, what: str = what) -> str:
                value = self.text(item, item_what)
                problem = event_template_problem(value, key)
                if problem:
                    raise self.error(item, f"{what}: {problem}")
                return value

            responses[key] = self.replies(value_node, what, f"event:{key}", check)
        return responses

    def check_exact_unique(self, name: str, node: yaml.Node) -> None:
        for item in node.value if isinstance(node, yaml.SequenceNode) else ():
            if not isinstance(item, yaml.ScalarNode):
                continue
            normal = " ".join(_word_tokens(item.value))
            owner = self.exact_owners.setdefault(normal, name)
            if owner != name:
                raise self.error(item, f"exact rule {item.value!r} of {name!r} is "
                                       f"already an exact rule of {owner!r}")

    def needs_keyword(self, name: str, entries: dict[str, tuple[yaml.Node, yaml.Node]]) -> bool:
        if "needs_keyword" not in entries:
            return False
        needs = self.flag(entries["needs_keyword"][1], f"{name}.needs_keyword")
        if needs and "keywords" not in entries:
            raise self.error(entries["needs_keyword"][0],
                             f"{name}.needs_keyword: the intent has no keywords, so it could never be recognised")
        return needs

    def intent(self, name: str, key_node: yaml.Node, node: yaml.Node) -> Intent:
        if not _INTENT_NAME.fullmatch(name) or name == NO_INTENT:
            raise self.error(key_node, f"bad intent name {name!r}: use lower-case "
                                       "letters, digits and _ (and not 'none')")
        entries = self.mapping(node, f"intent {name!r}", _INTENT_KEYS,
                               required=("examples", "responses"))

        def optional_list(key: str, template: bool = False) -> tuple[str, ...]:
            if key not in entries:
                return ()
            return self.text_list(entries[key][1], f"{name}.{key}", template,
                                  needs_words=not template)

        if "exact" in entries:
            self.check_exact_unique(name, entries["exact"][1])
        if "apologetic" in entries:
            self.tone_replies(entries["apologetic"][1], f"{name}.apologetic", f"apologetic:{name}")
        media = entries.get("media_response")
        return Intent(
            name=name,
            examples=optional_list("examples"),
            responses=self.replies(entries["responses"][1], f"{name}.responses", name),
            keywords=optional_list("keywords"),
            exact=optional_list("exact"),
            media_response=self.media_response(media[1], name) if media else None,
            threshold=(self.number(entries["threshold"][1], f"{name}.threshold")
                       if "threshold" in entries else None),
            social=self.flag(entries["social"][1], f"{name}.social") if "social" in entries else False,
            needs_keyword=self.needs_keyword(name, entries),
        )

    def media_response(self, node: yaml.Node, name: str) -> MediaResponse:
        what = f"{name}.media_response"
        entries = self.mapping(node, what, ("type", "url", "caption"), ("type", "url"))
        kind = self.text(entries["type"][1], f"{what}.type")
        if kind not in MEDIA_TYPES:
            raise self.error(entries["type"][1], f"{what}.type must be one of: "
                                                 f"{', '.join(sorted(MEDIA_TYPES))}")
        url = self.text(entries["url"][1], f"{what}.url")
        if not url.startswith("https://"):
            raise self.error(entries["url"][1], f"{what}.url must start with https://")
        caption = ""
        if "caption" in entries:
            caption = self.text(entries["caption"][1], f"{what}.caption", template=True)
        return MediaResponse(kind=kind, url=url, caption=caption)
