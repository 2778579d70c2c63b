"""Romanized (Banglish) queries: a row per transliteration rule, and snapping to a hand-made
vocabulary through a stand-in analyzer (NFC, lowercase), independent of the stemmer."""

from __future__ import annotations

import re
import unicodedata

import pytest

from search.lexicon import Lexicon
from search.romanize import interpret, is_romanized, reading_confidence, snap, transliterate

_WORD = re.compile(r"[\u0980-\u09ffA-Za-z0-9\u200c\u200d]+")


def standin(text: str) -> list[str]:
    """Analyzer stand-in: word runs, NFC, lowercase; no stemming, no stopwords."""
    return [unicodedata.normalize("NFC", w).lower() for w in _WORD.findall(text)]


# (romanized, a Bangla spelling the candidates must hold, the rule it shows)
RULES = [
    ("shikkha", "শিক্ষা", "kkh is ক্ষ inside a word"),
    ("khoma", "ক্ষমা", "kh may be ক্ষ at a word start"),
    ("songsod", "সংসদ", "ng is ং"),
    ("shongge", "সঙ্গে", "ngg is ঙ্গ"),
    ("bank", "ব্যাংক", "nk is ংক; English a is ্যা"),
    ("nirbachon", "নির্বাচন", "r before a consonant is reph; o is the inherent vowel"),
    ("nirbachan", "নির্বাচন", "a may be the inherent vowel"),
    ("dorpoton", "দরপতন", "consonants with no vowel between may keep a silent inherent vowel"),
    ("prokash", "প্রকাশ", "consonant + r is r-phala"),
    ("konna", "কন্যা", "a doubled consonant may be ya-phala"),
    ("fotullay", "ফতুল্লায়", "a doubled consonant may be a conjunct; ay is ায়"),
    ("perry", "পেরি", "rr is one r; final y is ি"),
    ("juddho", "যুদ্ধ", "j may be য; ddh is দ্ধ"),
    ("moddho", "মধ্য", "ddh may be ধ্য"),
    ("ichchha", "ইচ্ছা", "initial i is the independent ই; chchh is চ্ছ"),
    ("dhaka", "ঢাকা", "dh may be ঢ"),
    ("bhalo", "ভালো", "bh is ভ; o may be ো"),
    ("jhor", "ঝড়", "jh is ঝ; r may be ড়"),
    ("pahar", "পাহাড়", "r may be ড়"),
    ("phul", "ফুল", "ph is ফ"),
    ("ful", "ফুল", "f is ফ"),
    ("thana", "থানা", "th is থ"),
    ("chithi", "চিঠি", "th may be ঠ"),
    ("chhatro", "ছাত্র", "chh is ছ"),
    ("hasan", "হাছান", "s may be ছ in names"),
    ("ovijan", "অভিযান", "v is ভ; initial o is অ"),
    ("agun", "আগুন", "initial a is আ"),
    ("ekushe", "একুশে", "initial e is এ, u is ু, sh is শ"),
    ("jatiyo", "জাতীয়", "i may be ী; yo is য়"),
    ("deen", "দীন", "ee is ী"),
    ("nodi", "নদী", "final i may be ী"),
    ("mohua", "মহুয়া", "a after a vowel is য়া"),
    ("boishakh", "বৈশাখ", "oi is ৈ"),
    ("mouli", "মৌলি", "ou is ৌ"),
    ("krishi", "কৃষি", "ri after a consonant may be ৃ"),
    ("bishwa", "বিশ্ব", "w after a consonant is ba-phala"),
    ("howa", "হওয়া", "wa is ওয়া"),
    ("greftar", "গ্রেফতার", "f is ফ; a conjunct or not is open"),
    ("dhakay", "ঢাকায়", "final ay is ায়"),
    ("bazar", "বাজার", "z is জ"),
    ("cumilla", "কুমিল্লা", "English c is ক"),
    ("note", "নোট", "English magic e: o is ো, e silent"),
    ("charlie", "চার্লি", "English final ie is ি"),
    ("notice", "নোটিশ", "English final ce is শ"),
    ("voter", "ভোটার", "English final er is ার"),
    ("jersey", "জার্সি", "English er before a consonant is ার্"),
    ("match", "ম্যাচ", "English tch is চ"),
    ("social", "সোশ্যাল", "English cial is শ্যাল"),
    ("league", "লীগ", "English ea is ী, final gue is গ"),
    ("taxi", "ট্যাক্সি", "x is ক্স"),
    ("yamal", "ইয়ামাল", "initial y is ইয়"),
    ("load", "লোড", "English oa is ো, d is ড"),
    ("godown", "গোডাউন", "English ow is াউ"),
    ("eid", "ঈদ", "English ei may be ঈ"),
    ("highway", "হাইওয়ে", "English igh is াই, ay is ে"),
    ("dengue", "ডেঙ্গু", "English -ngue is ঙ্গু"),
    ("tarique", "তারিক", "English final que is ক"),
    ("bnp", "বিএনপি", "a word with no vowel is initials"),
    ("mbe", "এমবিই", "a word starting m+b is initials"),
]


@pytest.mark.parametrize(("word", "expected", "rule"), RULES, ids=[r[0] for r in RULES])
def test_transliteration_rule(word: str, expected: str, rule: str) -> None:
    assert expected in transliterate(word), rule


# Avro's own reading comes first.
FIRST = [
    ("shikkha", "শিক্ষা"),
    ("songsod", "সংসদ"),
    ("nirbachon", "নির্বাচন"),
    ("bangla", "বাংলা"),
    ("ghor", "ঘর"),
    ("thana", "থানা"),
    ("chhatro", "ছাত্র"),
    ("boishakh", "বৈশাখ"),
    ("agun", "আগুন"),
    ("howa", "হওয়া"),
    ("lakh", "লাখ"),
    ("ssc", "এসএসসি"),
    ("bgmea", "বিজিএমইএ"),
]


@pytest.mark.parametrize(("word", "expected"), FIRST, ids=[r[0] for r in FIRST])
def test_primary_reading_first(word: str, expected: str) -> None:
    assert transliterate(word)[0] == expected


def test_transliterate_ignores_case_and_returns_distinct_spellings() -> None:
    candidates = transliterate("Nirbachon")
    assert candidates[0] == "নির্বাচন"
    assert len(candidates) == len(set(candidates))


@pytest.mark.parametrize(
    ("word", "romanized"),
    [
        ("nirbachon", True),
        ("SSC", True),
        ("covid19", True),
        ("নির্বাচন", False),
        ("2024", False),  # a number is not a romanized word
        ("ssc-র", False),  # mixed scripts in one token
        ("", False),
    ],
)
def test_is_romanized(word: str, romanized: bool) -> None:
    assert is_romanized(word) is romanized


VOCABULARY = {
    "নির্বাচন": 120,
    "নির্বাচনে": 80,
    "কমিশন": 90,
    "কমিশনার": 20,
    "ব্যাংক": 60,
    "বাংলাদেশ": 300,
    "শিক্ষার্থী": 40,
    "পুলিশ": 150,
    "পলাশ": 4,
    "পলিসি": 10,
    "হাসান": 40,
    "হাছান": 6,
    "ঢাকা": 400,
    "বিশ্ববিদ্যালয়": 70,
    "বৈশাখী": 12,
    "মেলা": 30,
    "ওয়াসা": 5,
    "এমডি": 25,
    "গ্রেপ্তার": 90,
    "গ্রেফতার": 60,
    "লাখ": 200,
    "৮": 50,
    "লেবানন": 8,
    "মধ্যপ্রাচ্যে": 9,
    "দ্বাদশ": 11,
    "সংসদ": 100,
    "পুঁজিবাজার": 14,
    "হিরু": 3,
    "শিল্পী": 30,
    "শিল্পি": 12,
}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_terms(VOCABULARY.items())


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("nirbachon", "নির্বাচন"),
        ("nirbachan", "নির্বাচন"),  # o/a typed either way
        ("commission", "কমিশন"),  # English spelling, Bangla term
        ("bank", "ব্যাংক"),  # English a as ্যা
        ("lebanon", "লেবানন"),
        ("shikkharthi", "শিক্ষার্থী"),
        ("boishakhi", "বৈশাখী"),
        ("wasa", "ওয়াসা"),
        ("md", "এমডি"),  # initials
        ("police", "পুলিশ"),  # the frequent neighbour wins over পলাশ
        ("moddhoprachche", "মধ্যপ্রাচ্যে"),  # doubled letters as ya-phala
        ("dowadosh", "দ্বাদশ"),  # ba-phala spelled by its sound
        ("puijibajar", "পুঁজিবাজার"),  # a vowel too many, chandrabindu left out
        ("heru", "হিরু"),  # one vowel typed for another
    ],
)
def test_snap_to_vocabulary(lexicon: Lexicon, word: str, expected: str) -> None:
    assert snap(word, lexicon, standin)[0][0] == expected


def test_interpret_query(lexicon: Lexicon) -> None:
    reading = interpret("nirbachon commission", lexicon, standin)
    assert reading.text == "নির্বাচন কমিশন"
    assert reading.changed
    assert [w.romanized for w in reading.words] == [True, True]


def test_interpret_alternatives_are_ored(lexicon: Lexicon) -> None:
    (shilpi,) = interpret("shilpi", lexicon, standin).alternatives
    assert set(shilpi) == {"শিল্পী", "শিল্পি"}  # both spellings of artist


def test_mixed_script_query_keeps_bangla_words(lexicon: Lexicon) -> None:
    reading = interpret("dhaka বিশ্ববিদ্যালয়", lexicon, standin)
    assert reading.text == "ঢাকা বিশ্ববিদ্যালয়"
    assert reading.words[1].romanized is False
    assert reading.words[1].display == "বিশ্ববিদ্যালয়"


def test_apostrophe_ending_is_dropped(lexicon: Lexicon) -> None:
    reading = interpret("dhaka'r police’er", lexicon, standin)
    assert [w.source for w in reading.words] == ["dhaka", "police"]
    assert reading.text == "ঢাকা পুলিশ"


def test_compound_of_two_words_is_ored_into_both() -> None:
    lexicon = Lexicon.from_terms([("ছাত্র", 50), ("জনতা", 40), ("ছাত্রজনতা", 20)])
    first, second = interpret("chhatro jonota", lexicon, standin).alternatives
    assert first == ("ছাত্র", "ছাত্রজনতা")
    assert second == ("জনতা", "ছাত্রজনতা")


def test_ascii_number_reads_as_bangla_digits(lexicon: Lexicon) -> None:
    assert interpret("8 lakh", lexicon, standin).text == "৮ লাখ"


def test_frequent_latin_word_stays_alone() -> None:
    lexicon = Lexicon.from_terms([("bank", 50), ("ব্যাংক", 10)])
    word = interpret("bank", lexicon, standin).words[0]
    assert (word.display, word.terms) == ("bank", ("bank",))


def test_latin_word_in_the_index_stays() -> None:
    lexicon = Lexicon.from_terms([("bank", 5), ("ব্যাংক", 3)])
    word = interpret("bank", lexicon, standin).words[0]
    assert word.display == "bank"
    assert word.terms == ("bank", "ব্যাংক")  # the Bangla spelling is still ORed in


def test_rare_latin_word_stays_after_bangla() -> None:
    lexicon = Lexicon.from_terms([("bank", 1), ("ব্যাংক", 60)])
    word = interpret("bank", lexicon, standin).words[0]
    assert word.display == "ব্যাংক"
    assert word.terms == ("ব্যাংক", "bank")


def test_unknown_word_is_kept_as_typed(lexicon: Lexicon) -> None:
    word = interpret("xyzzyq", lexicon, standin).words[0]
    assert word.display == "xyzzyq"
    assert not interpret("xyzzyq", lexicon, standin).changed


def test_empty_query(lexicon: Lexicon) -> None:
    reading = interpret("  ", lexicon, standin)
    assert reading.text == "" and reading.alternatives == []


@pytest.mark.parametrize(
    ("score", "word", "confidence"),
    [
        (-0.5, "bank", 1.0),  # a frequent word beats its cost: sure
        (0.0, "bank", 1.0),
        (2.0, "bishwabidyalay", 1 - 2 / 14),  # a long word's cost spread over its letters
        (4.04, "zzzzqqq", 1 - 4.04 / 7),
        (9.0, "qqq", 0.0),  # never below 0
    ],
)
def test_reading_confidence(score: float, word: str, confidence: float) -> None:
    assert reading_confidence(score, word) == pytest.approx(confidence)


def test_a_reading_carries_its_confidence(lexicon: Lexicon) -> None:
    sure, unsure = interpret("nirbachon qwrtzp", lexicon, standin).words
    assert sure.display == "নির্বাচন" and sure.confidence > 0.9
    assert unsure.confidence < sure.confidence
