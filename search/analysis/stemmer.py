"""Light inflectional stemmer for Bangla: case, plural, classifier, emphatic and verb endings.

Suffix rules with guards, then a corpus-derived override table; input is `normalize_text` output.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from whoosh.analysis import Filter, Token

from search.analysis.stopwords import STOPWORDS

NUKTA = "\u09bc"
YYA = "\u09af\u09bc"  # য় as normalize_text writes it: YA + NUKTA

# What the stem left by a suffix may end with. A suffix never starts in the middle of a conjunct,
# so a stem never ends in HASANTA; the sets below say more where the ending depends on the sound
# before it (genitive -এর after a consonant, -র after a vowel).
CONSONANT = "C"  # a consonant letter, ড়/ঢ়/য় (ending in NUKTA), ৎ, ং
# Independent vowel letters: ই, উ, এ, ও stand for themselves (acronyms end in them: ডিএসইর,
# ভিডিওর; and ভাই, বই, ঢেউ take -য়ের); the others (আ, ঊ ...) are one class.
INDEPENDENT = "I" + "ইউএও"
# Vowel signs, each standing for itself: া ি ী ু ূ ে ো ৌ
SIGN_AA, SIGN_I, SIGN_II, SIGN_U = "\u09be", "\u09bf", "\u09c0", "\u09c1"
SIGN_UU, SIGN_E, SIGN_O, SIGN_AU = "\u09c2", "\u09c7", "\u09cb", "\u09cc"
ANY_VOWEL = SIGN_AA + SIGN_I + SIGN_II + SIGN_U + SIGN_UU + SIGN_E + SIGN_O + SIGN_AU + INDEPENDENT
ANY = CONSONANT + ANY_VOWEL
# -র follows vowels, not ে (that is -এর) and not আ/উ letters (এনবিআর, জিয়াউর end in -র).
BEFORE_GENITIVE_R = SIGN_AA + SIGN_I + SIGN_II + SIGN_U + SIGN_UU + SIGN_O + SIGN_AU + "ইএও"
BEFORE_EMPHATIC_O = CONSONANT + SIGN_AA + SIGN_II + SIGN_U + SIGN_UU + SIGN_E + SIGN_O

# (suffix, what the stem may end with, minimum letters left in the stem). Longest suffix that
# fits wins; stripping repeats until nothing fits, so a base word and its inflections always
# end at the same stem (সরকারের -> সরকার -> ...), and ঢাকায় -> ঢাকা. Letters count consonants and
# independent vowels, not signs: ঢাকা has 2, বাঁ 1. Two letters keep বই, মারা, যায়, পার whole.
SUFFIXES: list[tuple[str, str, int]] = [
    # Plural markers and the classifiers that make a noun definite.
    ("গুলো", ANY, 2),  # -গুলো plural (আসনগুলো)
    ("গুলি", ANY, 2),  # -গুলি plural, older spelling (গুলি alone, a bullet, is too short)
    ("গুলা", ANY, 2),  # -গুলা plural, colloquial
    ("সমূহ", ANY, 2),  # -সমূহ plural, formal (প্রতিষ্ঠানসমূহ)
    ("বৃন্দ", ANY, 2),  # -বৃন্দ plural of persons, formal (সদস্যবৃন্দ)
    # No -গণ: rare in news (কর্মকর্তাগণ), and জনগণ 'the public' is a word of its own.
    ("দের", ANY, 2),  # -দের plural genitive/accusative (শিক্ষার্থীদের)
    ("\u09c7রা", CONSONANT, 2),  # -েরা plural after a consonant (চিকিৎসকেরা)
    ("রা", ANY, 2),  # -রা plural (শিক্ষার্থীরা, চিকিৎসকরা)
    ("টি", ANY, 2),  # -টি classifier (সংগঠনটি)
    ("টা", ANY, 2),  # -টা classifier, colloquial (কতোটা)
    ("টো", ANY, 2),  # -টো classifier, colloquial
    # No -খানা/-খানি: rare as classifiers in news, common as the end of a word (কারখানা).
    # Case endings.
    ("\u09c7র", CONSONANT, 2),  # -এর genitive after a consonant (পুতিনের)
    ("র", BEFORE_GENITIVE_R, 2),  # -র genitive after a vowel (ঢাকার, ভিডিওর)
    # After a stem ending in the vowel letter ই or উ, the genitive is -য়ের and the locative -য়ে
    # (ভাইয়ের, বইয়ে, এআইয়ের, ঢেউয়ের). Not after আ: বিদায়ের is বিদায় + -এর; not after ও:
    # নরওয়ের is নরওয়ে + -র.
    (YYA + "\u09c7র", "ইউ", 2),  # -য়ের genitive after ই/উ
    (YYA + "\u09c7", "ইউ", 2),  # -য়ে locative after ই/উ
    ("কে", ANY, 2),  # -কে accusative/dative (পুতিনকে)
    ("তে", ANY, 2),  # -তে locative, also the infinitive (প্রযুক্তিতে, করতে)
    (YYA, SIGN_AA + SIGN_O, 2),  # -য় locative after আ/ও (ঢাকায়, আলোয়)
    ("\u09c7", CONSONANT, 2),  # -এ locative after a consonant (শহরে, বিষয়ে)
    # Emphatic particles.
    ("ও", BEFORE_EMPHATIC_O, 2),  # -ও "also" (পুতিনও); not after ি: ভিডিও, এমপিও are stems
    ("ই", CONSONANT, 2),  # -ই "only" after a consonant (আজই); after a vowel it is a stem: ভাই
    # Not here, though the language has them: the postposition -সহ "including" (ঢাকাসহ) and -ই
    # after ে ি ী ো (দেশেই, সত্যিই). Each grouped what it should and moved a dev query down a
    # rank (BENCHMARKS.md, "Stemmer coverage"); bench/stem_pairs.tsv keeps their pairs.
    # Finite verb endings after a consonant root (করেছেন, বলছে, করলেন, করবে). The root is what
    # is left: কর, বল; 2 letters keep দিয়েছে, হচ্ছে whole (function words anyway).
    ("\u09bfয়েছিলেন", CONSONANT, 2),  # -িয়েছিলেন causative past perfect (জানিয়েছিলেন)
    ("\u09bfয়েছিল", CONSONANT, 2),  # -িয়েছিল
    ("\u09bfয়েছেন", CONSONANT, 2),  # -িয়েছেন causative present perfect (জানিয়েছেন)
    ("\u09bfয়েছে", CONSONANT, 2),  # -িয়েছে
    ("\u09c7ছিলেন", CONSONANT, 2),  # -েছিলেন past perfect (করেছিলেন)
    ("\u09c7ছিল", CONSONANT, 2),  # -েছিল
    ("\u09c7ছেন", CONSONANT, 2),  # -েছেন present perfect (করেছেন)
    ("\u09c7ছে", CONSONANT, 2),  # -েছে
    ("ছিলেন", CONSONANT, 2),  # -ছিলেন past continuous (করছিলেন)
    ("ছিল", CONSONANT, 2),  # -ছিল
    ("ছেন", CONSONANT, 2),  # -ছেন present continuous (করছেন)
    ("ছে", CONSONANT, 2),  # -ছে (করছে); after a vowel it is a noun: গাছে, কাছে
    ("লেন", CONSONANT, 2),  # -লেন simple past (করলেন)
    ("লো", CONSONANT, 2),  # -লো simple past (করলো); after a vowel: আলো, ভালো
    ("বেন", CONSONANT, 2),  # -বেন future (করবেন)
    ("বে", CONSONANT, 2),  # -বে future (করবে)
]
SUFFIXES = [(s.replace("য়", YYA), after, n) for s, after, n in SUFFIXES]
SUFFIXES.sort(key=lambda rule: -len(rule[0]))

_BANGLA_LETTERS = frozenset(chr(c) for c in range(0x0985, 0x09BA)) | {"\u09ce"}  # অ..হ, ৎ
_INDEPENDENT_VOWELS = frozenset(chr(c) for c in range(0x0985, 0x0995))  # অ..ঔ
_CONSONANT_ENDS = frozenset(chr(c) for c in range(0x0995, 0x09BA)) | {NUKTA, "\u09ce", "\u0982"}
_CANDRABINDU = "\u0981"  # sits on a vowel; the vowel under it decides


def _ending_class(stem: str) -> str:
    """The class of the sound a stem ends with, as used in SUFFIXES ('' when nothing may follow)."""
    last = stem[-1]
    if last == _CANDRABINDU and len(stem) > 1:
        last = stem[-2]
    if last in _CONSONANT_ENDS:
        if stem.endswith(YYA) and stem[-3:-2] in ("ই", "উ"):
            return ""  # the glide between ই/উ and -এর/-এ (ভাইয়ের), no stem's end
        return CONSONANT
    if last in _INDEPENDENT_VOWELS:
        return last if last in "ইউএও" else "I"
    if last in ANY_VOWEL:
        return last
    return ""  # HASANTA, a digit, Latin: not a stem


def _letters(stem: str) -> int:
    return sum(map(_BANGLA_LETTERS.__contains__, stem))


def _load_overrides() -> dict[str, str]:
    """word -> stem for frequent words the rules get wrong (see stem_overrides_bn.txt)."""
    table: dict[str, str] = {}
    try:
        text = resources.files(__package__).joinpath("stem_overrides_bn.txt").read_text("utf-8")
    except FileNotFoundError:
        return table
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, stem = line.partition(" ")
            table[word] = stem.strip() or word
    return table


OVERRIDES = _load_overrides()

# A numeral's classifier is a token of its own once the tokenizer splits the digits off (৫টার ->
# ৫ | টার, ৩টিতে -> ৩ | টিতে): one letter, below every rule's minimum, so its inflected forms are
# listed. No -কে: টিকে is the verb টেকা (টিকে থাকা) more often than টি + -কে.
CLASSIFIER_FORMS: dict[str, str] = {
    "টির": "টি",  # ৩টির
    "টিতে": "টি",  # ৩টিতে
    "টিই": "টি",  # ৩টিই
    "টিও": "টি",  # ৩টিও
    "টার": "টা",  # ৫টার (also "at five o'clock")
    "টা" + YYA: "টা",  # ৫টায়
    "টাতে": "টা",  # ৫টাতে
    "টাও": "টা",  # ৫টাও
}


# Suffixes that end a word or come before an emphatic particle only: the plural -রা is itself
# a case, so রা before another ending belongs to the stem (মধ্যরাতে is মধ্যরাত + -এ, not -রা -তে).
OUTERMOST = frozenset({"রা", "\u09c7রা"})
EMPHATIC = frozenset({"ও", "ই"})
# A personal pronoun's cases are words of their own (আমি: আমার, আমাকে; তুমি: তোমার), so no case
# ending leaves one: আমির is a name, not আমি + -র. An emphatic particle may (আমিও).
PERSONAL_PRONOUNS = frozenset({"আমি", "তুমি", "তুই", "আপনি", "তিনি"})


# The rules by the last character of their suffix, longest suffix first as in SUFFIXES: a word
# need only be tried against the few rules that end as it does.
_RULES_BY_LAST: dict[str, list[tuple[str, str, int]]] = {}
for _rule in SUFFIXES:
    _RULES_BY_LAST.setdefault(_rule[0][-1], []).append(_rule)


def strips(word: str, inner: bool = False) -> Iterator[tuple[str, str]]:
    """Every (stem, suffix) one rule allows on `word`, longest suffix first. `inner`: a suffix other
    than an emphatic particle was already stripped from the word."""
    for suffix, after, min_letters in _RULES_BY_LAST.get(word[-1:], ()):
        if len(word) > len(suffix) and word.endswith(suffix):
            if inner and suffix in OUTERMOST:
                continue
            rest = word[: -len(suffix)]
            if rest in PERSONAL_PRONOUNS and suffix not in EMPHATIC:
                continue
            cls = _ending_class(rest)
            if cls and cls in after and _letters(rest) >= min_letters:
                yield rest, suffix


OVERRIDDEN = "="  # in stem_steps: the override table gave the rest of the way


def stem_steps(word: str, use_overrides: bool = True) -> tuple[str, tuple[str, ...]]:
    """The stem of a normalized word and the suffixes stripped to reach it, outermost first;
    OVERRIDDEN last when the override table gave the stem from there (bench/stem_pairs.py counts
    what each rule does)."""
    steps: list[str] = []
    if not word or not ("\u0980" <= word[0] <= "\u09ff"):
        return word, ()
    inner = False
    for _ in range(4):  # at most verb/plural + case + emphatic, and one more for -র after -এর
        if word in STOPWORDS:  # a function word, maybe inflected: আমরাও is আমরা, not আম
            break
        if word in CLASSIFIER_FORMS:
            classifier = CLASSIFIER_FORMS[word]
            return classifier, (*steps, f"{classifier}+{word[len(classifier) :]}")
        if use_overrides and word in OVERRIDES:
            return OVERRIDES[word], (*steps, OVERRIDDEN)
        step = next(strips(word, inner), None)
        if step is None:
            break
        word, suffix = step
        steps.append(suffix)
        inner = inner or suffix not in EMPHATIC
    return word, tuple(steps)


@lru_cache(maxsize=200_000)
def stem(word: str, use_overrides: bool = True) -> str:
    """The stem of a normalized Bangla word; other words and stopwords come back unchanged."""
    return stem_steps(word, use_overrides)[0]


class BanglaStemmer(Filter):
    """Replaces each token's text with its stem; stopwords (token.stopword) pass unchanged.

    With `keep_surface`, a word whose stem differs is emitted twice at the same position and
    offsets, surface first, then stem (like Lucene's KeywordRepeatFilter): an exact match then
    scores above a match of another inflection. Query mode does the same, so the query builder
    must OR tokens that share a position.
    """

    is_morph = True  # Whoosh leaves it out when it asks for unstemmed words (no_morph=True)

    def __init__(self, keep_surface: bool = False, use_overrides: bool = True):
        self.keep_surface = keep_surface
        self.use_overrides = use_overrides

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        keep_surface = self.keep_surface
        use_overrides = self.use_overrides
        for t in tokens:
            if getattr(t, "stopword", False):
                yield t
                continue
            stemmed = stem(t.text, use_overrides)
            if keep_surface and stemmed != t.text:
                yield t
            t.text = stemmed
            yield t
