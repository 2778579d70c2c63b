"""Snippets and highlighting: whole words marked through stemming, escaping, sentence windows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.plan import highlight_terms
from search.snippets import highlight_html, sentences, snippet_html
from search.text_terms import token_spans


def test_stemmed_match_marks_the_whole_original_word():
    html = highlight_html("ঢাকায় বৃষ্টি হয়েছে", highlight_terms("ঢাকা"), token_spans)
    assert html == "<mark>ঢাকায়</mark> বৃষ্টি হয়েছে"


def test_unicode_variant_query_marks_the_text_form():
    # The query types য় decomposed (য + nukta); the text has the precomposed letter.
    html = highlight_html("চেয়ারম্যান এলেন", highlight_terms("চেয়ারম্যান"), token_spans)
    assert html.startswith("<mark>চেয়ারম্যান</mark>")


def test_ascii_digits_mark_bangla_digits():
    html = highlight_html("২০২৩ সালের বাজেট", highlight_terms("2023"), token_spans)
    assert html.startswith("<mark>২০২৩</mark>")


def test_text_is_escaped_and_only_mark_is_markup():
    html = highlight_html("<b>ঢাকা</b> & <script>", highlight_terms("ঢাকা"), token_spans)
    assert html == "&lt;b&gt;<mark>ঢাকা</mark>&lt;/b&gt; &amp; &lt;script&gt;"


def test_snippet_prefers_the_sentence_with_most_terms():
    body = "প্রথম বাক্য কিছু নয়। দ্বিতীয় বাক্যে ঢাকা আছে। তৃতীয় বাক্যে ঢাকা ও বৃষ্টি দুটোই আছে।"
    html = snippet_html(body, highlight_terms("ঢাকা বৃষ্টি"), token_spans, max_chars=40)
    assert "<mark>ঢাকা</mark> ও <mark>বৃষ্টি</mark>" in html
    assert "প্রথম" not in html


def test_snippet_without_match_is_the_lead():
    body = "প্রথম বাক্য। দ্বিতীয় বাক্য।"
    assert snippet_html(body, set(), token_spans).startswith("প্রথম বাক্য।")


@pytest.mark.parametrize("limit", [30, 60, 220])
def test_long_sentence_is_cut_at_spaces_with_ellipsis(limit):
    words = ["শব্দ"] * 80 + ["ঢাকায়"] + ["শেষ"] * 80
    body = " ".join(words) + "।"
    html = snippet_html(body, highlight_terms("ঢাকা"), token_spans, max_chars=limit)
    assert "<mark>ঢাকায়</mark>" in html
    plain = html.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert len(plain) <= limit
    for piece in plain.split():
        assert piece in {"শব্দ", "ঢাকায়", "শেষ", "শেষ।"}, "no word is cut"


def test_sentences_split_on_danda_and_question_marks():
    text = "এক। দুই? তিন! চার"
    assert [text[s:e] for s, e in sentences(text)] == ["এক।", "দুই?", "তিন!", "চার"]


def test_snippet_with_astral_characters_keeps_offsets():
    body = "😀😀 খবর: ঢাকায় মেলা বসেছে।"
    html = snippet_html(body, highlight_terms("ঢাকা"), token_spans)
    assert "<mark>ঢাকায়</mark>" in html


def test_a_long_text_without_spaces_is_cut_between_clusters():
    body = "ক্ষেত্রে" * 100 + "ঢাকায়" + "প্রতিষ্ঠান" * 100
    html = snippet_html(body, highlight_terms("প্রতিষ্ঠান"), token_spans, max_chars=60)
    plain = html.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert 0 < len(plain) <= 60
    import icu

    breaks = icu.BreakIterator.createCharacterInstance(icu.Locale("bn"))
    breaks.setText(plain)
    boundaries = set(breaks)
    assert len(plain.encode("utf-16-le")) // 2 in boundaries  # ends on a grapheme boundary


def _token_spans_by_the_chain(text: str) -> list[tuple[str, int, int]]:
    from search.analysis import bangla_analyzer

    return [(t.text, t.startchar, t.endchar) for t in bangla_analyzer()(text, chars=True, mode="index")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="কখগাি্েৎয়ড়\u200c\u200d০১২9aA-।, \n\u00a0", max_size=40))
def test_token_spans_are_the_analyzers_tokens(text: str) -> None:
    assert list(token_spans(text)) == _token_spans_by_the_chain(text)


@pytest.mark.corpus
def test_token_spans_are_the_analyzers_tokens_on_corpus_bodies(corpus_articles) -> None:
    for article in corpus_articles[:200]:
        assert list(token_spans(article.body)) == _token_spans_by_the_chain(article.body), article.path
