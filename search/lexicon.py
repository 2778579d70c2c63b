"""The index's own analyzed vocabulary with document frequencies, built once per opened index.

Finds terms that are spelled like a word (skeleton keys, edit distance), completes prefixes, and
proposes did-you-mean corrections for Bangla queries that find little.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from search.bangla import ZWJ, ZWNJ, compose_nukta

HASANTA = "\u09cd"

# Spelling folds: pairs that writers (and phone keyboards) confuse; folded alike, they cost
# nothing in the edit distance and share a skeleton key.
FOLDS = {
    ZWNJ: "",  # zero-width non-joiner: invisible, typed or not at random
    ZWJ: "",  # zero-width joiner: likewise (র‍্যাব vs র্যাব)
    "\u0981": "",  # ঁ chandrabindu: often left out (পুজি for পুঁজি)
    "\u0983": "",  # ঃ visarga: rare, often left out
    "\u09c0": "\u09bf",  # ী → ি: long and short i-kar
    "\u09c2": "\u09c1",  # ূ → ু: long and short u-kar
    "\u0988": "\u0987",  # ঈ → ই: long and short independent i
    "\u098a": "\u0989",  # ঊ → উ: long and short independent u
    "\u09b6": "\u09b8",  # শ → স: the three sibilants sound alike
    "\u09b7": "\u09b8",  # ষ → স
    "\u09a3": "\u09a8",  # ণ → ন: retroflex and dental n sound alike
    "\u09af": "\u099c",  # য → জ: both sound j at the start of a syllable
    "\u09dc": "\u09b0",  # ড় → র: flap and r are confused
    "\u09dd": "\u09b0",  # ঢ় → র
    "\u09ce": "\u09a4",  # ৎ → ত: khanda-ta is a final ta
    "\u0999": "\u0982",  # ঙ → ং: ঙ্ক and ংক are both written
}
_FOLD_TABLE = str.maketrans(FOLDS)
# The folds of FOLDS by which writers spell one word differently (the spelling reform's short
# vowels, the sibilants and n's of loanwords and names, য/জ, ঙ/ং, ৎ/ত): a query word also matches
# the archive's other spellings by these (`Lexicon.respellings`). The rest are typing confusions,
# for did-you-mean and romanized readings only; as respellings, measured on the dev sets, the
# chandrabindu drop cost a morph query and the others gained nothing (BENCHMARKS.md).
RESPELLING_FOLDS = (ZWNJ, ZWJ, "\u09c0", "\u09c2", "\u0988", "\u098a", "\u09b6", "\u09b7", "\u09a3")
RESPELLING_FOLDS += ("\u09af", "\u0999", "\u09ce")
_RESPELLING_TABLE = str.maketrans({letter: FOLDS[letter] for letter in RESPELLING_FOLDS})
# য inside a word and not after a hasanta is mostly য় typed without its nukta
# (বিশ্ববিদ্যালযের); the few real ones (অযথা) are prefixed words. Suggestions try the য় spelling.
_BARE_YA = re.compile("(?<=[\u0980-\u09cc\u09ce-\u09ff])\u09af(?!\u09bc)")

# Skeleton classes: consonants that a romanized spelling cannot tell apart share a class, so a
# word and its variants land in one bucket. Vowels, signs and hasanta are dropped.
SKELETON_CLASSES = {
    "ক": "k",  # ka
    "খ": "k",  # kha: aspiration is often not typed
    "গ": "g",  # ga
    "ঘ": "g",  # gha
    "চ": "c",  # ca
    "ছ": "c",  # cha
    "জ": "j",  # ja (য is folded to জ before)
    "ঝ": "j",  # jha
    "ট": "t",  # retroflex and dental t are both typed t
    "ঠ": "t",
    "ত": "t",
    "থ": "t",
    "ড": "d",  # retroflex and dental d are both typed d
    "ঢ": "d",
    "দ": "d",
    "ধ": "d",
    "ন": "n",  # ণ is folded to ন before
    "ঞ": "n",
    "ং": "n",  # anusvara: typed ng, a nasal like n
    "প": "p",  # pa
    "ফ": "p",  # pha: typed ph or f, p and f are one class to survive both
    "ব": "b",  # ba
    "ভ": "b",  # bha: typed bh or v
    "ম": "m",
    "র": "r",  # ড়, ঢ় are folded to র before
    "ল": "l",
    "স": "s",  # শ, ষ are folded to স before
    "হ": "h",
}

VOWEL_SIGNS = frozenset("\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc")
INDEPENDENT_VOWELS = frozenset("অআইঈউঊঋএঐওঔ")

# Edit costs by character: cheap edits are the ones spelling variants differ by.
CHEAP_INDEL = {
    HASANTA: 0.3,  # conjunct or not (দরপতন vs দর্পতন) is a romanization guess
    "\u09df": 0.5,  # য় glide: mohua, mohuya, মহুয়া
    "ও": 0.6,  # ও glide before য় (হওয়া)
    "\u0982": 0.6,  # ং
    "\u09cb": 0.5,  # ো: typed o, which is also the unwritten inherent vowel
    "\u09be": 0.6,  # া: typed a, which readers also write for the inherent vowel
}
VOWEL_SUB = 0.6  # one vowel sign for another: o/a, e/i are confused in romanization
DEFAULT_COST = 1.0


def canonical(text: str) -> str:
    """NFC, with the three nukta letters composed to one character each: keys use the
    one-character form so a term matches whichever encoding the analyzer and the query used."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return compose_nukta(text)


def fold(term: str) -> str:
    """The spelling a term is compared by: confusable letters and signs folded together."""
    return _fold(canonical(term))


def _fold(text: str, table: dict[int, str] = _FOLD_TABLE) -> str:
    # ঙ্ক and ংক: once ঙ folds to ং, the hasanta after it has nothing to join.
    return text.translate(table).replace("\u0982\u09cd", "\u0982")


def respelling_key(term: str) -> str:
    """What the spellings of one word share (সরকারি and সরকারী, নেত্রকোনা and নেত্রকোণা): the
    term with the RESPELLING_FOLDS of FOLDS applied."""
    return _fold(canonical(term), _RESPELLING_TABLE)


# Phala: ya and ba after hasanta mostly change the vowel or double the consonant in speech;
# romanized spellings show them as doubled letters, a, w, or not at all, so keys drop them.
# ba after ম or ব is a real b (লম্বা lomba, আব্বা abba) and stays; after র the hasanta is a
# reph over a full ব or য (নির্বাচন nirbachon, কার্য karjo), which stay too.
_PHALA = re.compile("(?<!\u09b0)\u09cd\u09af|(?<![\u09ae\u09ac\u09b0])\u09cd\u09ac")

# Loose key: the skeleton plus the vowels readers type reliably (i, u, e). a/o are dropped: o is
# both the unwritten inherent vowel and ো, a is both া and the inherent vowel (nirbachan).
LOOSE_VOWELS = {
    "\u09bf": "i",  # ি (ী is folded to ি before)
    "\u0987": "i",  # ই
    "\u09c8": "i",  # ৈ ends in an i sound (boishakh বৈশাখ)
    "\u0990": "i",  # ঐ
    "\u09c1": "u",  # ু
    "\u0989": "u",  # উ
    "\u09cc": "u",  # ৌ ends in a u sound
    "\u0994": "u",  # ঔ
    "\u09c7": "e",  # ে
    "\u098f": "e",  # এ
    "\u09c3": "ri",  # ৃ is said ri (krishi কৃষি)
    "\u098b": "ri",  # ঋ
}
LOOSE_INITIAL = frozenset("অআও")  # word-initial vowels typed a or o, one class

# One translate pass per key: every Bangla code point becomes its class, "+" (hasanta) or nothing.
_BANGLA = range(0x0980, 0x0A00)
_SKELETON_TABLE = {cp: SKELETON_CLASSES.get(chr(cp), "") for cp in _BANGLA}
_LOOSE_TABLE = {**_SKELETON_TABLE, **{ord(k): v for k, v in LOOSE_VOWELS.items()}}
_LOOSE_TABLE[ord(HASANTA)] = "+"
for _table in (_SKELETON_TABLE, _LOOSE_TABLE):
    _table.update({0x09E6 + i: str(i) for i in range(10)})  # Bangla digits key as ASCII digits
    _table.update({ord(ZWNJ): "", ord(ZWJ): ""})
# A conjunct of one class is one sound doubled (দ্ধ, চ্চ); readers type it as one letter, two
# letters or a ya-phala (moddho মধ্য), so it keys as one.
_GEMINATE = re.compile(r"([a-z])\+(?=\1)")


_BANGLA_CHAR = re.compile("[\u0980-\u09ff]")


def _is_latin(text: str) -> bool:
    return _BANGLA_CHAR.search(text) is None


def skeleton(term: str) -> str:
    """Coarse key: consonant classes only, phala dropped. Latin terms key to themselves."""
    return _skeleton(canonical(term))


def _skeleton(text: str) -> str:
    if _is_latin(text):
        return text.lower()
    return _PHALA.sub("", text).translate(_FOLD_TABLE).translate(_SKELETON_TABLE)


def loose_key(term: str) -> str:
    """Finer than the skeleton: consonant classes with i/u/e vowels; finds o/a, hasanta and
    phala variants of a spelling with one dictionary lookup."""
    return _loose_key(canonical(term))


def _loose_key(text: str) -> str:
    if _is_latin(text):
        return text.lower()
    key = _PHALA.sub("", text).translate(_FOLD_TABLE).translate(_LOOSE_TABLE)
    key = _GEMINATE.sub("", key).replace("+", "")
    # A word-initial a/o is typed reliably (agun আগুন is not গুন).
    return "a" + key if text[0] in LOOSE_INITIAL else key


@cache
def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in VOWEL_SIGNS and b in VOWEL_SIGNS:
        return VOWEL_SUB
    if SKELETON_CLASSES.get(a, a) == SKELETON_CLASSES.get(b, b):
        return 0.5  # aspirate for plain, dental for retroflex: the key already agrees
    return DEFAULT_COST


def distance(a: str, b: str, limit: float = math.inf) -> float:
    """Weighted edit distance of two folded spellings; stops early above `limit`."""
    if a == b:
        return 0.0
    indel = CHEAP_INDEL.get
    ins_b = [indel(ch, DEFAULT_COST) for ch in b]
    prev = [0.0]
    for cost in ins_b:
        prev.append(prev[-1] + cost)
    for ca in a:
        del_a = indel(ca, DEFAULT_COST)
        left = prev[0] + del_a
        row = [left]
        best = left
        for j, cb in enumerate(b):
            diag = prev[j] if ca == cb else prev[j] + _sub_cost(ca, cb)
            up = prev[j + 1] + del_a
            side = left + ins_b[j]
            left = diag if diag <= up and diag <= side else (up if up <= side else side)
            row.append(left)
            if left < best:
                best = left
        if best > limit:
            return math.inf
        prev = row
    return prev[-1]


class Lexicon:
    """Analyzed terms of an index with their document frequencies.

    Holds a skeleton-key → terms map (most frequent first) so near spellings are found without
    scanning the vocabulary, and the sorted terms for prefix completion.
    """

    def __init__(self, frequencies: dict[str, int]) -> None:
        self._df = frequencies
        self._sorted = sorted(frequencies)
        self._folded: dict[str, str] = {}
        buckets: dict[str, list[str]] = {}
        loose: dict[str, list[str]] = {}
        by_key: dict[str, list[str]] = {}
        for term in self._sorted:
            text = canonical(term)
            self._folded[term] = _fold(text)
            by_key.setdefault(_fold(text, _RESPELLING_TABLE), []).append(term)
            buckets.setdefault(_skeleton(text), []).append(term)
            loose.setdefault(_loose_key(text), []).append(term)
        # Only keys that more than one spelling shares: the rest have no respelling to offer.
        self._spellings = {key: terms for key, terms in by_key.items() if len(terms) > 1}
        for table in (buckets, loose, self._spellings):
            for terms in table.values():
                terms.sort(key=lambda t: -frequencies[t])
        self._buckets = buckets
        self._loose = loose
        self._max_df = max(frequencies.values(), default=1)

    @classmethod
    def from_terms(cls, pairs: Iterable[tuple[str, int]]) -> Lexicon:
        """Build from (term, doc frequency) pairs; a term given twice (title and body) keeps the
        larger frequency, since summing would count most articles twice."""
        frequencies: dict[str, int] = {}
        for term, df in pairs:
            if term and df > frequencies.get(term, 0):
                frequencies[term] = df
        return cls(frequencies)

    def __contains__(self, term: object) -> bool:
        return term in self._df

    def __len__(self) -> int:
        return len(self._df)

    def __iter__(self) -> Iterator[str]:
        return iter(self._sorted)

    def df(self, term: str) -> int:
        """Number of documents holding `term` (0 when absent)."""
        return self._df.get(term, 0)

    def prior(self, term: str) -> float:
        """How common a term is, 0 (absent) to 1 (the most frequent term)."""
        return math.log1p(self._df.get(term, 0)) / math.log1p(self._max_df)

    def folded(self, term: str) -> str:
        """The folded spelling of a lexicon term (computed once at build)."""
        cached = self._folded.get(term)
        return cached if cached is not None else fold(term)

    def respellings(self, term: str) -> list[str]:
        """The other spellings of `term` the archive holds: terms with the same `respelling_key`
        (সরকারী for সরকারি, ইউনুস for ইউনূস), most frequent first."""
        return [t for t in self._spellings.get(respelling_key(term), ()) if t != term]

    def bucket(self, key: str) -> list[str]:
        """Terms with skeleton `key`, most frequent first."""
        return self._buckets.get(key, [])

    def loose_bucket(self, key: str) -> list[str]:
        """Terms with loose key `key` (see `loose_key`), most frequent first."""
        return self._loose.get(key, [])

    def loose_neighbours(self, key: str) -> list[str]:
        """Loose keys one vowel away from `key` that the vocabulary has: an i/u/e typed for
        another, left out, or added (heru for হিরু, puiji for পুঁজি)."""
        found = []
        for i in range(len(key) + 1):
            for vowel in "iue":
                variant = key[:i] + vowel + key[i:]  # a vowel the reader left out
                if variant in self._loose:
                    found.append(variant)
            if i < len(key) and key[i] in "iue":
                dropped = key[:i] + key[i + 1 :]  # a vowel the reader added
                if dropped in self._loose:
                    found.append(dropped)
                for vowel in "iue":
                    if vowel != key[i]:
                        variant = key[:i] + vowel + key[i + 1 :]  # one vowel for another
                        if variant in self._loose:
                            found.append(variant)
        return list(dict.fromkeys(found))

    def near(self, word: str, max_distance: float = 1.0, limit: int = 200) -> list[tuple[str, float]]:
        """Terms within `max_distance` of `word` (folded spelling), closest then most frequent."""
        target = fold(word)
        found = []
        for term in self.bucket(skeleton(word))[:limit]:
            folded = self._folded[term]
            if abs(len(folded) - len(target)) > max_distance + 2:
                continue
            d = distance(target, folded, max_distance)
            if d <= max_distance:
                found.append((term, d))
        found.sort(key=lambda pair: (pair[1], -self._df[pair[0]]))
        return found

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Terms starting with `prefix`, most frequent first.

        The prefix is not analyzed: a stemmer would cut a trailing vowel sign (পুলি → পুল) and a
        normalizer may drop a trailing hasanta (নির্ → নির), widening what the reader typed.
        Both nukta encodings and joiner-free spellings of the prefix are tried.
        """
        nfc = unicodedata.normalize("NFC", prefix.strip())
        if not nfc:
            return []
        variants = {nfc, canonical(nfc), nfc.replace(ZWNJ, "").replace(ZWJ, "")}
        variants.add(canonical(nfc).replace(ZWNJ, "").replace(ZWJ, ""))
        matches: set[str] = set()
        for variant in variants:
            start = bisect_left(self._sorted, variant)
            # Scan at most a few thousand: enough to rank short prefixes by frequency.
            for term in self._sorted[start : start + 5000]:
                if not term.startswith(variant):
                    break
                matches.add(term)
        return sorted(matches, key=lambda t: (-self._df[t], t))[:limit]


# A word is corrected only when the neighbour is this much more frequent.
SUGGEST_MIN_DF = 3  # below this a neighbour may itself be a typo
SUGGEST_FACTOR = 5  # a correction must be clearly more common than what was typed
SUGGEST_MAX_DISTANCE = 1.0  # one real edit beyond the folds


def suggest(query: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> str | None:
    """Did-you-mean for a Bangla query: each rare word replaced by its frequent near spelling.

    Returns the corrected query, or None when no word has a clearly better neighbour. Latin
    words and digits are left as typed.
    """
    changed = False
    out = []
    for word in query.split():
        replacement = _suggest_word(word, lexicon, analyze)
        if replacement is not None:
            changed = True
            out.append(replacement)
        else:
            out.append(word)
    return " ".join(out) if changed else None


def _suggest_word(word: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> str | None:
    if not any("\u0980" <= ch <= "\u09ff" and not ch.isdigit() for ch in word):
        return None
    terms = analyze(word)
    if len(terms) != 1:
        return None
    term = terms[0]
    have = lexicon.df(term)
    best = None
    with_nukta = _BARE_YA.sub("\u09af\u09bc", term)
    neighbours = lexicon.near(term, SUGGEST_MAX_DISTANCE)
    if with_nukta != term:
        neighbours = [(with_nukta, 0.0), *lexicon.near(with_nukta, SUGGEST_MAX_DISTANCE), *neighbours]
    for candidate, d in neighbours:
        if candidate == term:
            continue
        df = lexicon.df(candidate)
        if df >= SUGGEST_MIN_DF and df >= SUGGEST_FACTOR * max(have, 1) and d <= SUGGEST_MAX_DISTANCE:
            best = candidate
            break
    if best is None:
        return None
    # Keep what the reader typed after the stem (an inflection) when the stem is a prefix.
    surface = canonical(word)
    stem = canonical(term)
    if surface.startswith(stem) and surface != stem:
        fixed = best + surface[len(stem) :]
        if analyze(fixed) == [best]:
            return fixed
    return best
