"""Similarity of a message to the rules' examples and keywords: the evidence for each intent.

`Matcher` is built once per rule set (`intent_rules` shares it between rule sets loaded from
the same file). Evidence comes from two places: the best cosine between the message and any
example over TF-IDF-weighted letter 2–4-grams inside words, a lemma and a negation feature
and consonant-skeleton trigrams (`finglish.skeleton`, so `ghymt chnd` is near `قیمت چنده`);
and keyword hits, by word, lemma, one-edit typo (4+ letters) or skeleton (3+ consonants),
weighted by the share of the message's content words they cover; a stretched last letter
(heyy, mersii) or a vowel-less Finglish spelling (mmnon) still meets a keyword. A word the
rules do not know that is two or three known words without spaces (درودبرشما) is split first.
`Matcher.respelled` reads a vowel-less or SMS-lettered Finglish word, or English as texted, as the one word the
rules' lists hold ("hstin" → hastin, "mixam" → mikham, "hw mch" → how much) before anything else reads it.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from language import finglish, nlp

if TYPE_CHECKING:
    from language.intent_rules import Intent

NO_INTENT = "none"

_FUZZY_KEYWORD_STRENGTH = 0.8
# A keyword hit counts this share of its strength however little of the message it covers; the
# rest grows with the share of content words it covers, so "فعلا پول ندارم" (for now I have no
# money) is not a farewell because of فعلا. Pooled five-fold cross-validation
# (bench/intent_cross_validation.py): 0.5 → 0.9397, 0.4 and 0.3 → 0.9433 (7 messages fixed,
# none broken), 0.2 → 0.9433 (one broken), 0.0 → 0.9408.
_KEYWORD_FLOOR = 0.35
_MINIMUM_FUZZY_LENGTH = 4
_TOKEN_HITS_KEPT = 4096
# N-grams in more than this share of the examples (" س", "ی ") are left out of the
# look-up lists: they carry little weight and took most of the time (1.1 ms a message
# before, 0.65 ms after; cross-validated accuracy on the development set 0.911 → 0.908).
_MAXIMUM_POSTINGS_SHARE = 0.05
_MINIMUM_SKELETON_KEYWORD = 3  # two consonants (mn: من and ممنون) are too ambiguous
# Finglish "you have" and "it has", with and without vowels, share the consonants d-r-d with درود (a
# greeting keyword): "size 40 drid?" asks about stock and is no greeting.
_COMMON_FINGLISH_VERBS = frozenset(("darid", "drid", "darin", "drin", "dare", "drd", "dard", "darim", "drim",
                                    # English words one slip from a keyword: "I think I got someone else's parcel"
                                    # is no thanks
                                    "think", "thinks", "thing", "things"))
_STOPWORD_FEATURE_WEIGHT = 0.5
_NEGATION_FEATURE = "<not>"
_NEGATION_WEIGHT = 2.0
_MINIMUM_RUN_TOGETHER = 5  # shorter unknown words are more often typos than two words
_MINIMUM_PART = 2
# Suffix-like pieces that would cut a known word's ending off (سفارشمو → سفارش + مو).
_NOT_A_PART = frozenset(nlp.normalize(word) for word in
                        "مو رو ها های ام ات اش تون شون مون ای ی ید ین ند ن ه م ت ش es ed ing".split())


def word_tokens(text: str) -> list[str]:
    """The normalised word tokens of `text` (no numbers, URLs or emoji)."""
    return [token for kind, token in nlp.classified_tokens(text) if kind == "word"]


def consonant_key(tokens: Sequence[str]) -> str:
    """Tokens without their vowels, as one string: 'laghv' and 'lghv' → 'lghv'."""
    return " ".join(finglish.consonant_spelling(token) or token for token in tokens)


# English as it is texted, where the rules list the whole word.
TEXTING = {
    "hw": "how", "mch": "much", "r": "are", "ur": "your", "wen": "when", "whn": "when", "wat": "what", "wht": "what",
    "rn": "now", "shud": "should", "cud": "could", "wud": "would", "pls": "please", "plz": "please", "pleas": "please",
    "thx": "thanks", "thnx": "thanks", "thnks": "thanks", "tmrw": "tomorrow", "tmr": "tomorrow", "tmrrw": "tomorrow",
    "2day": "today", "2moro": "tomorrow", "2morrow": "tomorrow", "b4": "before", "msg": "message", "msgs": "messages",
    "pkg": "package", "abt": "about", "ppl": "people", "bcz": "because", "cuz": "because", "coz": "because",
    "yr": "your", "hv": "have", "cn": "can", "nt": "not", "dnt": "don't", "wont": "won't", "didnt": "didn't",
    "doesnt": "doesn't", "isnt": "isn't", "im": "i'm", "ive": "i've", "wanna": "want", "gonna": "going",
}


def _respellings(words: frozenset[str] | set[str]) -> dict[str, str]:
    """Each consonant spelling (`finglish.consonant_spelling`) of listed Latin words with vowels: the word it spells.

    Where several words share it, the one the others extend (jvb: javab, not javaba or javabaye), or any
    of them when every rule's word list that holds one holds all (hstn: hastin and hastan, both "are you
    there"); none where they differ otherwise (frd: farda or friday).
    """
    spelled: dict[str, set[str]] = defaultdict(set)
    for word in words:
        if word.isascii() and word.isalpha():
            consonants = finglish.consonant_spelling(word)
            if consonants and consonants != word:
                spelled[consonants].add(word)
    respellings = {}
    for consonants, found in spelled.items():
        shortest = min(found, key=lambda word: (len(word), word))
        if all(word.startswith(shortest) for word in found) or _listed_alike(found):
            respellings[consonants] = shortest
    return respellings


def _listed_alike(words: set[str]) -> bool:
    """Whether the rules list these words together: every word list that holds one holds all, and one does."""
    lists = [word_list for word_list in nlp.WORD_LISTS if not word_list.isdisjoint(words)]
    return bool(lists) and all(words <= word_list for word_list in lists)


def _deletions(word: str) -> set[str]:
    return {word[:index] + word[index + 1:] for index in range(len(word))}


def _same_skeleton(tokens: Sequence[str], skeletons: Sequence[str], phrase: Sequence[str],
                   phrase_skeleton: Sequence[str]) -> bool:
    """Whether `tokens` spell `phrase` another way: each word the same, or the same consonants (2+ of them).

    One consonant proves nothing: "did my" and "add me" are both d-m.
    """
    if tuple(skeletons) != tuple(phrase_skeleton):
        return False
    return all(token == word or len(consonants) >= 2
               for token, word, consonants in zip(tokens, phrase, phrase_skeleton, strict=True))


@lru_cache(maxsize=4096)  # customers reuse words: a token's n-grams are counted once per worker
def _token_ngrams(token: str) -> tuple[tuple[str, float], ...]:
    """One token's features and their counts, weighted (a stopword's by half)."""
    features: dict[str, float] = defaultdict(float)
    weight = _STOPWORD_FEATURE_WEIGHT if token in nlp.STOPWORDS else 1.0
    padded = f" {token} "
    for size in (2, 3, 4):
        for start in range(len(padded) - size + 1):
            features[padded[start:start + size]] += weight
    features["=" + nlp.lemma(token)] += weight
    consonants = finglish.skeleton(token)
    if len(consonants) >= finglish.MINIMUM_SKELETON:
        # Letters shared by Persian and Finglish spellings: ghymt meets قیمت.
        padded = f" {consonants} "
        for start in range(len(padded) - 2):
            features["~" + padded[start:start + 3]] += weight
    if nlp.is_negated_verb(token):
        # n-grams barely see the ن/نمی prefix; opt-out vs opt-in hinge on it.
        features[_NEGATION_FEATURE] += _NEGATION_WEIGHT
    return tuple(features.items())


def _ngram_features(tokens: Sequence[str]) -> dict[str, float]:
    features: dict[str, float] = defaultdict(float)
    for token in tokens:
        for gram, count in _token_ngrams(token):
            features[gram] += count
    return features


class Matcher:
    """Precomputed example vectors and keyword indexes for fast classification."""

    def __init__(self, intents: Sequence[Intent], out_of_scope: Sequence[str]) -> None:
        documents = [(intent.name, example) for intent in intents
                     for example in intent.examples]
        documents += [(NO_INTENT, example) for example in out_of_scope]
        features = [_ngram_features(word_tokens(text)) for _, text in documents]
        document_frequency: dict[str, int] = defaultdict(int)
        for vector in features:
            for gram in vector:
                document_frequency[gram] += 1
        count = len(documents)
        self.unseen_idf = math.log(count + 1) + 1
        idf = {gram: math.log((count + 1) / (frequency + 1)) + 1 for gram, frequency in document_frequency.items()}
        self.labels = [label for label, _ in documents]
        # Each label's examples are consecutive: its best score is the largest of one slice.
        self.spans: list[tuple[str, int, int]] = []
        for index, label in enumerate(self.labels):
            if self.spans and self.spans[-1][0] == label:
                self.spans[-1] = (label, self.spans[-1][1], index + 1)
            else:
                self.spans.append((label, index, index + 1))
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, vector in enumerate(features):
            weighted = {gram: value * idf[gram] for gram, value in vector.items()}
            norm = math.sqrt(sum(value * value for value in weighted.values())) or 1.0
            for gram, value in weighted.items():
                if document_frequency[gram] <= _MAXIMUM_POSTINGS_SHARE * count:
                    postings[gram].append((index, value / norm))
        # Per n-gram of the examples, one look-up: its idf, the examples that hold it, its weight in each, and those
        # weights times the idf — the products a query that holds the n-gram once adds, made once here (arrays of
        # machine numbers, not tuples of Python floats: 1 MiB less per worker, no slower; empty for an n-gram too
        # common to list; see ngram_scores).
        self.grams: dict[str, tuple[float, array[int], array[float], array[float]]] = {
            gram: (weight, array("I", (index for index, _ in postings.get(gram, ()))),
                   array("d", (value for _, value in postings.get(gram, ()))),
                   array("d", (weight * value for _, value in postings.get(gram, ()))))
            for gram, weight in idf.items()}
        # Every word the rules know, to split words a customer ran together (درودبرشما).
        self.vocabulary = frozenset(token for _, text in documents for token in word_tokens(text)) | frozenset(
            token for intent in intents for text in (*intent.keywords, *intent.exact) for token in word_tokens(text))
        self.respellings = _respellings(self.vocabulary | finglish.FINGLISH_WORDS | nlp.LISTED_WORDS)
        self.exact: dict[str, str] = {}
        self.exact_consonants: dict[str, str] = {}
        self.social = {intent.name for intent in intents if intent.social}
        self.words: dict[str, set[str]] = defaultdict(set)
        # A one-letter slip keeps the first letter: "rice" is no "price", nor "fees" a slip of "yes".
        self.fuzzy: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._first_letters: dict[tuple[str, str], tuple[str, str]] = {}
        self.skeletons: dict[str, set[str]] = defaultdict(set)
        self.consonant_spellings: dict[str, set[str]] = defaultdict(set)
        self.phrase_starts: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = (
            defaultdict(list))
        for intent in intents:
            for text in intent.exact:
                self.exact[" ".join(word_tokens(text))] = intent.name
                if text.isascii():  # lghv, stp, strt: an SMS spelling of a Latin command
                    self.exact_consonants[consonant_key(word_tokens(text))] = intent.name
            for keyword in intent.keywords:
                tokens = tuple(word_tokens(keyword))
                if len(tokens) > 1:
                    skeletons = tuple(finglish.skeleton(token) for token in tokens)
                    # Looked up by first word or first skeleton, not scanned per message.
                    self.phrase_starts[tokens[0]].append((tokens, skeletons, intent.name))
                    if skeletons[0] != tokens[0]:
                        self.phrase_starts[skeletons[0]].append((tokens, skeletons, intent.name))
                elif tokens:
                    self._index_word(tokens[0], intent.name)
        # Each token's keyword hit, found once (customers reuse words); emptied when it holds _TOKEN_HITS_KEPT.
        self._token_hits: dict[str, tuple[frozenset[str], float]] = {}
        # Example words that are a keyword written together with another known word (کدتخفیف).
        # `split_run_together` keeps a word the examples know whole, so its keyword is found here.
        self.compounds: dict[str, set[str]] = {}
        for word in self.vocabulary:
            # Persian script only: a Latin word hides short keywords by chance (hichi: hi + chi).
            if len(word) >= _MINIMUM_RUN_TOGETHER and word not in self.words and not word.isascii():
                intents_of_parts = set().union(*(self.words.get(part, set())
                                                 for part in self._known_parts(word, depth=1) or ()))
                if intents_of_parts:
                    self.compounds[word] = intents_of_parts

    def respelled(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with each vowel-less Finglish word nobody listed read as the one listed word it spells.

        "pnjshnbe bdaz zohr hm hstin?" → … hastin?: the rules' word lists hold full spellings, and an SMS
        writer drops the vowels. A listed word is left as it is; English as texted ("hw", "rn") becomes the
        whole word; SMS letters (x, 2, q) are spelled out; a vowel-less word that no list, keyword or table
        knows becomes the listed word it spells, unless two listed words share the spelling (frd: farda or
        friday).
        """
        return [self._respelled(token) for token in tokens]

    def _respelled(self, token: str) -> str:
        if token in nlp.LISTED_WORDS or not token.isascii():
            return token
        if token in TEXTING:
            return TEXTING[token]  # "hw mch r …", "open rn": English as texted
        if "-" in token and (joined := token.replace("-", "")) in nlp.LISTED_WORDS:
            return joined  # an ezafe written with a hyphen: "modir-e forushgah" is modire
        sms = finglish.sms_spelling(token)
        if sms != token:
            # SMS Finglish: x for kh ("mixam"), 2 or q for gh ("va2t", "2eymat", "tabliqat"), read as the listed
            # word it spells
            if sms in nlp.LISTED_WORDS or sms in self.vocabulary:
                return sms
            return self.respellings.get(finglish.consonant_spelling(sms), token)
        if (finglish.has_few_vowels(token) and token not in finglish.FINGLISH_WORDS
                and token not in finglish.ENGLISH_WORDS and token not in self.words):
            return self.respellings.get(finglish.consonant_spelling(token), token)
        return token

    def split_run_together(self, tokens: Sequence[str]) -> list[str]:
        """Split an unknown word that is two or three known words written without spaces.

        "درودبرشما" → درود بر شما, "salamkhubin" → salam khubin. A word the rules know, or
        whose lemma they know, stays whole; the longest known first part is tried first.
        """
        vocabulary = self.vocabulary
        if all(token in vocabulary for token in tokens):
            return list(tokens)
        split: list[str] = []
        for token in tokens:
            parts = None
            if (len(token) >= _MINIMUM_RUN_TOGETHER and token not in vocabulary
                    and nlp.lemma(token) not in vocabulary):
                parts = self._known_parts(token, depth=2)
            split.extend(parts or (token,))
        return split

    def _known_parts(self, token: str, depth: int) -> list[str] | None:
        for cut in range(len(token) - _MINIMUM_PART, _MINIMUM_PART - 1, -1):
            head, tail = token[:cut], token[cut:]
            if head not in self.vocabulary or head in _NOT_A_PART:
                continue
            if tail in self.vocabulary and tail not in _NOT_A_PART:
                return [head, tail]
            if depth > 1 and len(tail) >= 2 * _MINIMUM_PART:
                rest = self._known_parts(tail, depth - 1)
                if rest:
                    return [head, *rest]
        return None

    def _index_word(self, word: str, intent: str) -> None:
        self.words[word].add(intent)
        consonants = finglish.skeleton(word)
        if len(consonants) >= _MINIMUM_SKELETON_KEYWORD:
            self.skeletons[consonants].add(intent)
        self.words[nlp.lemma(word)].add(intent)
        spelled = finglish.consonant_spelling(word)
        if spelled:
            self.consonant_spellings[spelled].add(intent)
        if len(word) >= _MINIMUM_FUZZY_LENGTH:
            for variant in _deletions(word) | {word}:
                # One shared pair per first letter and intent: a tuple per variant cost 0.6 MiB.
                self.fuzzy[variant].add(self._first_letters.setdefault((word[0], intent), (word[0], intent)))

    def social_prefix_length(self, tokens: Sequence[str]) -> int:
        """Count leading social-intent keywords and stopwords (0 without a keyword)."""
        position, keyword_seen = 0, False
        while position < len(tokens):
            token = tokens[position]
            phrase_length = next((len(phrase) for phrase, _, intent in self._phrases_from(token)
                                  if intent in self.social and self._phrase_at(tokens, position, phrase)), 0)
            if phrase_length or (self.words.get(token, set())
                                 | self.words.get(nlp.lemma(token), set())) & self.social:
                position += phrase_length or 1
                keyword_seen = True
            elif token in nlp.STOPWORDS:
                position += 1
            else:
                break
        return position if keyword_seen else 0

    def _phrases_from(self, token: str) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
        """Keyword phrases that may start at `token`, by its word or its skeleton."""
        consonants = finglish.skeleton(token)
        candidates = self.phrase_starts.get(token, [])
        return candidates + self.phrase_starts.get(consonants, []) if consonants != token else candidates

    @staticmethod
    def _phrase_at(tokens: Sequence[str], start: int, phrase: Sequence[str]) -> bool:
        """Whether `phrase` is written at `start`, word for word or in another spelling (دستت درد نکنه)."""
        window = tokens[start:start + len(phrase)]
        if tuple(window) == tuple(phrase):
            return True
        return len(window) == len(phrase) and _same_skeleton(
            window, [finglish.skeleton(token) for token in window], phrase,
            [finglish.skeleton(word) for word in phrase])

    def opening_intents(self, tokens: Sequence[str]) -> set[str]:
        """The intents whose keyword (or its skeleton) is the message's first word, or whose phrase opens it
        ("sobh bekheir, ruzetun ghashang" opens with a greeting)."""
        if not tokens:
            return set()
        first = tokens[0]
        found = (self.words.get(first, set()) | self.words.get(nlp.lemma(first), set())
                 | self.skeletons.get(finglish.skeleton(first), set()))
        # Spelt as the phrase is: by consonants alone "sb bkhr" (شب بخیر) would open with "sobh bekheir".
        return found | {intent for phrase, _, intent in self.phrase_starts.get(first, ())
                        if tuple(tokens[:len(phrase)]) == phrase}

    def ngram_scores(self, tokens: Sequence[str]) -> list[tuple[float, str]]:
        """Best cosine per label (intents and `none`), highest first."""
        # Most of a message's time is this loop (1,700 postings a message over the development sets): one
        # look-up per n-gram, a list indexed by example (not a dict), and the products computed by `map` in C.
        dot_products = [0.0] * len(self.labels)
        grams, unseen_idf = self.grams, self.unseen_idf
        squares = 0.0
        for gram, count in _ngram_features(tokens).items():
            entry = grams.get(gram)
            if entry is None:
                value = count * unseen_idf
            else:
                weight, indexes, example_values, once = entry
                value = count * weight
                # An n-gram the message holds once (most): its products are the stored ones, to the last bit.
                products = once if count == 1.0 else map(value.__mul__, example_values)
                for index, product in zip(indexes, products, strict=True):
                    dot_products[index] += product
            squares += value * value
        norm = math.sqrt(squares) or 1.0
        best: dict[str, float] = {}
        for label, start, end in self.spans:
            top = max(dot_products[start:end])
            if top > 0.0:
                best[label] = top / norm
        return sorted(((score, label) for label, score in best.items()), reverse=True)

    def _keyword_hit(self, token: str) -> tuple[frozenset[str], float]:
        """The intents one token is a keyword of, by word, lemma, typo or another spelling, and the hit's strength."""
        intents = self.words.get(token, set()) | self.words.get(nlp.lemma(token), set())
        hit_strength = 1.0
        # A stopword or a word the lemmatiser knows whole is no other spelling of a keyword:
        # باشه is not a typo of بازه, nor همکاری (working together) of همکار (a colleague).
        respelled = (token not in nlp.STOPWORDS and not nlp.is_known_stem(token)
                     and token not in _COMMON_FINGLISH_VERBS)
        if not intents and len(token) >= _MINIMUM_FUZZY_LENGTH and respelled:
            for variant in _deletions(token) | {token}:
                intents = intents | {intent for first, intent in self.fuzzy.get(variant, ()) if first == token[0]}
            hit_strength = _FUZZY_KEYWORD_STRENGTH
        if not intents and respelled:
            # Another spelling of a keyword: mrc, khdfz and ghymt meet مرسی, خدافظ, قیمت.
            intents = self.skeletons.get(finglish.skeleton(token), set())
            hit_strength = _FUZZY_KEYWORD_STRENGTH
        if not intents and respelled:
            # A stretched last letter (heyy, mersii, سلامم) or a vowel-less spelling (mmnon).
            intents = self.words.get(finglish.without_final_double(token), set())
            if not intents and finglish.has_few_vowels(token):
                intents = self.consonant_spellings.get(finglish.consonant_spelling(token), set())
        if not intents and token in self.compounds:
            intents = self.compounds[token]
            hit_strength = _FUZZY_KEYWORD_STRENGTH
        return frozenset(intents), hit_strength

    def keyword_scores(self, tokens: Sequence[str]) -> dict[str, float]:
        """Keyword evidence per intent: hit strength scaled by the share of words covered."""
        strength: dict[str, float] = defaultdict(float)
        covered: dict[str, set[int]] = defaultdict(set)
        hits = self._token_hits
        for position, token in enumerate(tokens):
            hit = hits.get(token)
            if hit is None:
                if len(hits) >= _TOKEN_HITS_KEPT:
                    hits.clear()
                hit = hits[token] = self._keyword_hit(token)
            intents, hit_strength = hit
            for intent in intents:
                strength[intent] = max(strength[intent], hit_strength)
                covered[intent].add(position)
        skeletons = tuple(finglish.skeleton(token) for token in tokens)
        for start, (token, consonants) in enumerate(zip(tokens, skeletons, strict=True)):
            candidates = self.phrase_starts.get(token, [])
            if consonants != token:
                candidates = candidates + self.phrase_starts.get(consonants, [])
            for phrase, phrase_skeleton, intent in candidates:
                if (tuple(tokens[start:start + len(phrase)]) == phrase
                        or _same_skeleton(tokens[start:start + len(phrase)], skeletons[start:start + len(phrase)],
                                          phrase, phrase_skeleton)):
                    strength[intent] = 1.0
                    covered[intent].update(range(start, start + len(phrase)))
        content = {position for position, token in enumerate(tokens)
                   if token not in nlp.STOPWORDS}
        evidence = {}
        for intent, value in strength.items():
            words = content | covered[intent]
            share = len(covered[intent]) / len(words)
            evidence[intent] = value * (_KEYWORD_FLOOR + (1 - _KEYWORD_FLOOR) * share)
        return evidence
