"""The index vocabulary: keys and folds a row per rule, prefix completion at a hasanta and a
vowel sign, near spellings, and did-you-mean suggestions."""

from __future__ import annotations

import re
import unicodedata

import pytest

from search.lexicon import (
    RESPELLING_FOLDS,
    Lexicon,
    distance,
    fold,
    loose_key,
    respelling_key,
    skeleton,
    suggest,
)

_WORD = re.compile(r"[\u0980-\u09ffA-Za-z0-9\u200c\u200d]+")


def standin(text: str) -> list[str]:
    """Analyzer stand-in: word runs, NFC, lowercase; no stemming."""
    return [unicodedata.normalize("NFC", w).lower() for w in _WORD.findall(text)]


# (a, b, the fold that makes them one spelling)
FOLDED_ALIKE = [
    ("নদী", "নদি", "ী and ি"),
    ("মূল", "মুল", "ূ and ু"),
    ("ঈদ", "ইদ", "ঈ and ই"),
    ("শহর", "সহর", "শ and স"),
    ("ভাষা", "ভাসা", "ষ and স"),
    ("কারণ", "কারন", "ণ and ন"),
    ("যাত্রা", "জাত্রা", "য and জ"),
    ("পাহাড়", "পাহার", "ড় and র"),
    ("আষাঢ়", "আষার", "ঢ় and র"),
    ("পুঁজি", "পুজি", "chandrabindu dropped"),
    ("দুঃখ", "দুখ", "visarga dropped"),
    ("সাক্ষাৎ", "সাক্ষাত", "khanda ta and ta"),
    ("অঙ্ক", "অংক", "ঙ and ং"),
    ("র\u200dযাব", "রযাব", "ZWJ dropped"),
    ("বিশ্ববিদ্যালয়", "বিশ্ববিদ্যাল\u09df", "য় in either encoding"),
]


@pytest.mark.parametrize(("a", "b", "rule"), FOLDED_ALIKE, ids=[r[2] for r in FOLDED_ALIKE])
def test_fold(a: str, b: str, rule: str) -> None:
    assert fold(a) == fold(b), rule


# (a, b, the respelling rule): spellings of one word that writers use, a row per fold.
RESPELLED_ALIKE = [
    ("সরকারী", "সরকারি", "ী and ি: the reform's short i"),
    ("ইউনূস", "ইউনুস", "ূ and ু: the reform's short u"),
    ("ঈদ", "ইদ", "ঈ and ই"),
    ("ঊষা", "উষা", "ঊ and উ"),
    ("শহীদ", "সহিদ", "শ and স, and vowel length"),
    ("পোষাক", "পোশাক", "ষ and শ"),
    ("নেত্রকোণা", "নেত্রকোনা", "ণ and ন in place names"),
    ("যাদুঘর", "জাদুঘর", "য and জ"),
    ("অঙ্ক", "অংক", "ঙ and ং"),
    ("সাক্ষাৎ", "সাক্ষাত", "khanda ta and ta"),
    ("র\u200dযাব", "রযাব", "ZWJ"),
    ("হ\u200cয়", "হয়", "ZWNJ"),
]


@pytest.mark.parametrize(("a", "b", "rule"), RESPELLED_ALIKE, ids=[r[2] for r in RESPELLED_ALIKE])
def test_respelling_key(a: str, b: str, rule: str) -> None:
    assert respelling_key(a) == respelling_key(b), rule


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("পুঁজি", "পুজি", "chandrabindu: a typing confusion, not a respelling (it cost a morph query)"),
        ("পাহাড়", "পাহার", "ড় and র are different words' letters (পড়া, পরা)"),
        ("দুঃখ", "দুখ", "visarga"),
    ],
)
def test_respelling_key_keeps_apart_what_is_only_mistyped(a: str, b: str, why: str) -> None:
    assert respelling_key(a) != respelling_key(b) and fold(a) == fold(b), why


def test_every_respelling_fold_is_a_fold() -> None:
    from search.lexicon import FOLDS

    assert set(RESPELLING_FOLDS) <= set(FOLDS)


def test_respellings_are_the_spellings_the_archive_holds() -> None:
    lexicon = Lexicon({"সরকারি": 500, "সরকারী": 3, "সরকার": 900, "পুঁজি": 5, "পুজি": 2})
    assert lexicon.respellings("সরকারী") == ["সরকারি"]
    assert lexicon.respellings("সরকারি") == ["সরকারী"]
    assert lexicon.respellings("সরকার") == [] and lexicon.respellings("পুঁজি") == []
    assert lexicon.respellings("শহীদ") == []  # no spelling of it in the archive


@pytest.mark.parametrize(
    ("term", "key", "rule"),
    [
        ("খবর", "kbr", "aspirate and plain share a class"),
        ("ঠিক", "tk", "retroflex and dental share a class"),
        ("ব্যাংক", "bnk", "ya-phala dropped, ং is n"),
        ("দ্বাদশ", "dds", "ba-phala dropped"),
        ("লম্বা", "lmb", "ba after ম is a real b"),
        ("ভোট", "bt", "ভ is b: v and bh"),
        ("bank", "bank", "Latin terms key to themselves"),
    ],
)
def test_skeleton(term: str, key: str, rule: str) -> None:
    assert skeleton(term) == key, rule


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        ("দরপতন", "দর্পতন", "hasanta or not"),
        ("নির্বাচন", "নিরবাচোন", "o typed for the inherent vowel"),
        ("মধ্যপ্রাচ্যে", "মদ্ধপ্রাচ্চে", "ya-phala and a doubled consonant"),
        ("কৃষি", "ক্রিশি", "ৃ and ri"),
        ("বৈশাখ", "বইশাখ", "ৈ and ই"),
    ],
)
def test_loose_key_alike(a: str, b: str, rule: str) -> None:
    assert loose_key(a) == loose_key(b), rule


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        ("আগুন", "গুন", "a word-initial vowel is kept"),
        ("কাটি", "কাটা", "i is kept, a is not"),
        ("কুল", "কেল", "u and e differ"),
    ],
)
def test_loose_key_apart(a: str, b: str, rule: str) -> None:
    assert loose_key(a) != loose_key(b), rule


def test_distance_weights_spelling_variants_cheaply() -> None:
    assert distance("দরপতন", "দরপতন") == 0
    assert distance(fold("দর্পতন"), fold("দরপতন")) < 0.5  # a hasanta
    assert distance("কাটা", "কোটা") < distance("কাটা", "কাঠা") + 0.2 < 1.0  # vowel, same class
    assert distance("কলম", "বাজার") > 3
    assert distance("কলম", "বাজার", limit=1.0) == float("inf")  # stops early


TERMS = [
    ("বিশ্ব", 90),
    ("বিশ্বাস", 40),
    ("বিশ্বকাপ", 60),
    ("বিশাল", 30),
    ("বিশেষ", 70),
    ("বিশেষজ্ঞ", 20),
    ("বিষয়", 200),
    ("পুলিশ", 150),
    ("পুলিশের", 120),
    ("পুল", 10),
    ("বিশ্ববিদ্যালয়", 80),  # NFC: য + nukta
    ("নির্বাচন", 120),
    ("সরকার", 300),
    ("সরকারি", 100),
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_terms(TERMS)


def test_from_terms_keeps_the_larger_frequency() -> None:
    lexicon = Lexicon.from_terms([("ঢাকা", 10), ("ঢাকা", 7), ("", 3), ("রাজশাহী", 2)])
    assert lexicon.df("ঢাকা") == 10
    assert lexicon.df("খুলনা") == 0
    assert "ঢাকা" in lexicon and "খুলনা" not in lexicon
    assert len(lexicon) == 2


def test_complete_at_a_hasanta(lexicon: Lexicon) -> None:
    # বিশ্ + … is a conjunct: বিশাল and বিশেষ do not continue it.
    assert lexicon.complete("বিশ্", limit=10) == [
        "বিশ্ব",
        "বিশ্ববিদ্যালয়",
        "বিশ্বকাপ",
        "বিশ্বাস",
    ]


def test_complete_at_a_vowel_sign(lexicon: Lexicon) -> None:
    assert lexicon.complete("বিশে") == ["বিশেষ", "বিশেষজ্ঞ"]
    assert lexicon.complete("পুলি") == ["পুলিশ", "পুলিশের"]  # not cut to পুল


def test_complete_orders_by_frequency_and_limits(lexicon: Lexicon) -> None:
    assert lexicon.complete("বি", limit=3) == ["বিষয়", "বিশ্ব", "বিশ্ববিদ্যালয়"]
    assert lexicon.complete("") == []
    assert lexicon.complete("খ") == []


def test_complete_either_nukta_encoding(lexicon: Lexicon) -> None:
    precomposed = "বিশ্ববিদ্যাল\u09df"  # U+09DF, as some keyboards type it
    assert lexicon.complete(precomposed) == ["বিশ্ববিদ্যালয়"]


def test_near_finds_folded_spellings(lexicon: Lexicon) -> None:
    near = dict(lexicon.near("সরকারী"))
    assert near["সরকারি"] == 0  # ী and ি fold alike
    assert "সরকার" in near


@pytest.mark.parametrize(
    ("query", "expected", "rule"),
    [
        ("পুলীশ", "পুলিশ", "ী for ি"),
        ("পূলিশ", "পুলিশ", "ূ for ু"),
        ("পুলিস", "পুলিশ", "স for শ"),
        ("নির্বাচণ", "নির্বাচন", "ণ for ন"),
        ("নির্বাচোন", "নির্বাচন", "one more edit: a vowel sign too many"),
        ("বিশ্ববিদ্যালয", "বিশ্ববিদ্যালয়", "য typed for য়"),
        ("পুলিসের কাছে", "পুলিশের কাছে", "only the misspelled word changes"),
    ],
)
def test_suggest_corrects_misspellings(lexicon: Lexicon, query: str, expected: str, rule: str) -> None:
    assert suggest(query, lexicon, standin) == expected, rule


def test_suggest_keeps_the_inflection_after_a_stem() -> None:
    lexicon = Lexicon.from_terms([("পুলিশ", 150)])

    def stemming(text: str) -> list[str]:
        return [w.removesuffix("ের") for w in standin(text)]

    assert suggest("পুলীশের", lexicon, stemming) == "পুলিশের"


@pytest.mark.parametrize("query", ["পুলিশ", "সরকার বিশেষ", "bank", "2024", ""])
def test_suggest_none_when_nothing_better(lexicon: Lexicon, query: str) -> None:
    assert suggest(query, lexicon, standin) is None


def test_suggest_needs_a_clearly_more_frequent_neighbour() -> None:
    lexicon = Lexicon.from_terms([("সরকারি", 100), ("সরকারী", 60)])
    assert suggest("সরকারী", lexicon, standin) is None  # both spellings are in common use
