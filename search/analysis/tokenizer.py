"""Word tokenizer for Bangla text on ICU's word BreakIterator, with offsets into the original text.

Yields words and numbers only; a digit run glued to Bangla letters (০১আপডেট, ১০টি) becomes two tokens.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

import icu
from whoosh.analysis import Token, Tokenizer

# ICU word rule statuses: 100-199 numbers, 200-299 letters, 300+ kana/ideographs; below 100 are
# spaces, punctuation and symbols (danda included), which are not searchable.
_WORD_STATUS = 100

# A boundary between a digit run and a Bangla letter inside one ICU word: crawls glue the time to
# the next word (১৫:০১আপডেট) and numbers take classifiers (১০টি, ১৫ই, কোভিড১৯). The letter side
# must start with a letter, not a vowel sign, so the split never cuts a grapheme cluster.
_DIGIT_LETTER = re.compile(
    r"(?<=[0-9\u09e6-\u09ef])(?=[\u0985-\u09b9\u09ce\u09dc-\u09df])"  # digit | BENGALI LETTER
    r"|(?<=[\u0981-\u09d7\u09dc-\u09df])(?=[0-9\u09e6-\u09ef])"  # Bangla letter or sign | digit
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# BreakIterator is not thread-safe and costs ~0.1 ms to build: one per thread, never pickled,
# and never held across a yield (see word_spans).
_local = threading.local()


def _word_breaker() -> icu.BreakIterator:
    breaker = getattr(_local, "breaker", None)
    if breaker is None:
        breaker = _local.breaker = icu.BreakIterator.createWordInstance(icu.Locale("bn"))
    return breaker


def _utf16_to_index(text: str) -> list[int] | None:
    """Map ICU's UTF-16 offsets to str indices; None when they coincide (no astral characters)."""
    if _ASTRAL.search(text) is None:
        return None
    table = []
    for i, ch in enumerate(text):
        table.append(i)
        if ord(ch) > 0xFFFF:
            table.append(i)  # low surrogate: never a boundary, present to keep the table aligned
    table.append(len(text))
    return table


# A text that is one Bangla word, perhaps followed by one punctuation mark, as most
# whitespace-separated chunks of news text are: ICU's word rules keep letters together with their
# signs, ZWJ and ZWNJ, and break before a final mark, so the word's span is known without ICU.
# (tests/test_analysis.py checks this against ICU on every chunk of the corpus.)
_BANGLA = [chr(c) for c in range(0x980, 0xA00)]
_LETTERS = "".join(c for c in _BANGLA if unicodedata.category(c) == "Lo")
_SIGNS = "".join(c for c in _BANGLA if unicodedata.category(c) in ("Mn", "Mc"))
_ONE_WORD = re.compile(f"([{_LETTERS}][{_LETTERS}{_SIGNS}\u200c\u200d]*)[।,;:!?)’”'\"]?")


def word_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) str offsets of the searchable words of `text`, in order."""
    if not text:
        return
    one_word = _ONE_WORD.fullmatch(text)
    if one_word:
        yield 0, one_word.end(1)
    else:
        yield from icu_word_spans(text)


def icu_word_spans(text: str) -> Iterator[tuple[int, int]]:
    """`word_spans` by ICU alone."""
    breaker = _word_breaker()
    breaker.setText(text)
    # Read every boundary before yielding: the caller may analyze another text on this thread
    # between two words (snippets do), and that resets the shared breaker.
    start = breaker.first()
    words = []
    for end in breaker:
        if breaker.getRuleStatus() >= _WORD_STATUS:
            words.append((start, end))
        start = end
    table = _utf16_to_index(text)
    # A word can only need splitting where the whole text has a digit touching a letter: most
    # texts have none, and one search per text is cheaper than one per word.
    may_split = _DIGIT_LETTER.search(text) is not None
    for a, b in words:
        if table is not None:
            a, b = table[a], table[b]
        if may_split and _DIGIT_LETTER.search(word := text[a:b]):
            for x, y in _split_digits(word):
                yield a + x, a + y
        else:
            yield a, b


def _split_digits(word: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in _DIGIT_LETTER.finditer(word):
        yield start, m.start()
        start = m.start()
    yield start, len(word)


class BanglaTokenizer(Tokenizer):
    """ICU word breaks (locale bn): words and numbers, with exact str offsets."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Whoosh asks for the whole value as one token (e.g. a term typed in a range query).
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        for a, b in word_spans(value):
            t.text = value[a:b]
            t.boost = 1.0
            if keeporiginal:
                t.original = t.text
            t.stopped = False
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar, t.endchar = start_char + a, start_char + b
            yield t
