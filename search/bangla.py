"""Facts of the Bangla script that several modules need, each table written once.

The analyzer, the page reader, the date reader, the lexicon and snippets all meet Bangla digits,
the three nukta letters in two encodings and invisible joiners; they read them from here.
"""

from __future__ import annotations

# U+09E6..U+09EF BENGALI DIGIT ZERO..NINE, in order: pages write numbers in them, readers type
# ASCII digits.
BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
TO_ASCII_DIGITS = str.maketrans(BANGLA_DIGITS, "0123456789")
TO_BANGLA_DIGITS = str.maketrans("0123456789", BANGLA_DIGITS)

# The three nukta letters have a precomposed code point and a decomposed spelling (letter +
# U+09BC NUKTA); NFC decomposes them (they are composition exclusions) and pages mix both.
# Precomposed -> decomposed.
NUKTA_LETTERS = {
    "\u09dc": "\u09a1\u09bc",  # BENGALI LETTER RRA ড় = DDA + NUKTA
    "\u09dd": "\u09a2\u09bc",  # BENGALI LETTER RHA ঢ় = DDHA + NUKTA
    "\u09df": "\u09af\u09bc",  # BENGALI LETTER YYA য় = YA + NUKTA
}
# (decomposed, precomposed) pairs, for replacing one spelling by the other.
COMPOSE = tuple((decomposed, composed) for composed, decomposed in NUKTA_LETTERS.items())

ZWNJ, ZWJ = "\u200c", "\u200d"
# Characters that change how a word is drawn, never which word it is. ZWJ and ZWNJ occur inside
# words (র‍্যাব, হ‌য়ে‌ছে) where editors forced a rendering; the rest are stray.
INVISIBLE = (
    "\u00ad"  # SOFT HYPHEN
    "\u200b"  # ZERO WIDTH SPACE
    + ZWNJ  # ZERO WIDTH NON-JOINER
    + ZWJ  # ZERO WIDTH JOINER
    + "\u200e"  # LEFT-TO-RIGHT MARK
    "\u200f"  # RIGHT-TO-LEFT MARK
    "\u2060"  # WORD JOINER
    "\ufeff"  # ZERO WIDTH NO-BREAK SPACE (byte-order mark)
    "\ufe0e"  # VARIATION SELECTOR-15 (text presentation)
    "\ufe0f"  # VARIATION SELECTOR-16 (emoji presentation)
)
DROP_INVISIBLE = str.maketrans("", "", INVISIBLE)


def compose_nukta(text: str) -> str:
    """`text` with each nukta letter in its precomposed form (one code point each)."""
    if "\u09bc" in text:
        for decomposed, composed in COMPOSE:
            text = text.replace(decomposed, composed)
    return text
