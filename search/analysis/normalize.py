"""Character-level normalization of Bangla text: one spelling per word for the index and the query.

`normalize_text` is the single definition; `BanglaNormalizer` applies it to tokens, cached per word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, Token

from search.bangla import INVISIBLE, NUKTA_LETTERS, TO_ASCII_DIGITS

# What normalization folds, from the script's tables (search/bangla.py): invisible characters
# deleted; Bangla digits to ASCII, so that ২০২৩ and 2023 are one token (ASCII: what a query box
# types); the nukta letters decomposed as NFC decomposes them (they are composition exclusions),
# so the result is stable under any later NFC (the table only documents the choice; NFC does it).
_TRANSLATE = {
    **{ord(c): None for c in INVISIBLE},
    **TO_ASCII_DIGITS,
    **{ord(k): v for k, v in NUKTA_LETTERS.items()},
}

# TA + HASANTA + ZWJ is how khanda ta was typed before Unicode 4.1 (ত্‍ = ৎ U+09CE); it must be
# read before the ZWJ goes.
_KHANDA_TA_ZWJ = re.compile("\u09a4\u09cd\u200d")

# Rewrites after the invisible characters are gone, in order; each names the characters it joins.
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    # TA + HASANTA before a consonant that never forms a conjunct with ta (ক প স ...) is the same
    # old khanda-ta spelling without the ZWJ: তত্কালীন = তৎকালীন. ত্ত ত্থ ত্ন ত্ম ত্য ত্র ত্ব stay.
    (
        re.compile("\u09a4\u09cd(?=[\u0995-\u09a3\u09a6\u09a7\u09aa\u09ab\u09ad\u09b2\u09b6-\u09b9])"),
        "\u09ce",
    ),
    # Word-final KHANDA TA ৎ becomes TA ত: inflection alternates them (সাক্ষাৎ, সাক্ষাতের) and
    # writers mix them (সাক্ষাত). Inside a word (উৎসব) ৎ never alternates and is kept.
    (re.compile("\u09ce(?![\u0980-\u09ff])"), "\u09a4"),
    # Word-final TA + HASANTA is the same khanda ta (সাক্ষাত্), so the same TA.
    (re.compile("\u09a4\u09cd(?![\u0980-\u09ff])"), "\u09a4"),
    # E + HASANTA + YA (এ্যা) is an old spelling of A + HASANTA + YA (অ্যা) for the English /æ/
    # (এ্যাডভোকেট, অ্যাডভোকেট); nothing else starts that way.
    (re.compile("(?<![\u0980-\u09ff])\u098f\u09cd\u09af"), "\u0985\u09cd\u09af"),
    # Grouping commas inside a number (১,২৫,০০০): readers type 125000.
    (re.compile(r"(?<=\d),(?=\d)"), ""),
]


def normalize_text(text: str) -> str:
    """Normalize a string the way the index does: NFC, one form for য়/ড়/ঢ়, ৎ/ত, no ZWJ/ZWNJ,
    ASCII digits, lowercase Latin. Works on whole sentences; may change the length."""
    text = unicodedata.normalize("NFC", text)
    text = _KHANDA_TA_ZWJ.sub("\u09ce", text).translate(_TRANSLATE)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.lower()


# What any step of `normalize_text` acts on, in a text already in NFC: a character outside the
# Bangla letters and signs (invisible, Latin, punctuation; U+09CE khanda ta, the composed nukta
# letters and the digits lie outside too), TA + HASANTA, or a leading E + HASANTA + YA. Most
# words have none of these, and normalizing them changes nothing.
_MAY_CHANGE = re.compile("[^\u0981-\u09cd\u09d7\u09e0-\u09e5\u09f0-\u09fe]|\u09a4\u09cd|^\u098f\u09cd\u09af")


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """`normalize_text` for one token, cached: news text repeats its words, and this is per token."""
    if unicodedata.is_normalized("NFC", word) and _MAY_CHANGE.search(word) is None:
        return word
    return normalize_text(word)


class BanglaNormalizer(Filter):
    """Rewrites each token's text with `normalize_text`; drops tokens left empty (a lone ZWNJ)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = normalize_word(t.text)
            if t.text:
                yield t
