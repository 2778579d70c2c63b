"""The script's shared tables (search/bangla.py), and that every module reads them alike."""

from __future__ import annotations

import unicodedata

from search.analysis.normalize import normalize_text
from search.bangla import (
    BANGLA_DIGITS,
    INVISIBLE,
    NUKTA_LETTERS,
    TO_ASCII_DIGITS,
    TO_BANGLA_DIGITS,
    compose_nukta,
)
from search.dates import fold_name, to_ascii_digits
from search.lexicon import canonical


def test_digits_are_the_bengali_digits_in_order():
    assert [unicodedata.digit(d) for d in BANGLA_DIGITS] == list(range(10))
    assert "2024".translate(TO_BANGLA_DIGITS) == "২০২৪" and "২০২৪".translate(TO_ASCII_DIGITS) == "2024"
    assert to_ascii_digits("১২:০৫") == "12:05"


def test_nukta_letters_are_what_nfc_makes_of_them():
    for composed, decomposed in NUKTA_LETTERS.items():
        assert unicodedata.normalize("NFC", composed) == decomposed
        assert compose_nukta(decomposed) == composed == canonical(decomposed)


def test_invisible_characters_change_no_word_anywhere():
    word = "র্যাব"
    for ch in INVISIBLE:
        marked = word[:1] + ch + word[1:]
        assert normalize_text(marked) == normalize_text(word), hex(ord(ch))
        assert fold_name(marked) == fold_name(word), hex(ord(ch))
