"""What an article's text becomes in the index (search/whoosh_store/schema.py): its terms, positions
and weights, computed the plain way from the analyzer chain and compared."""

from __future__ import annotations

import pytest


def test_lead_paragraph_words_weigh_more_in_the_body_postings():
    from search.policy import LEAD_WEIGHT
    from search.whoosh_store.schema import build_schema

    body = build_schema()["body"]
    weights = {term.decode(): weight for term, _, weight, _ in body.index("নদী সেতু\n\nসেতু পাহাড়")}
    assert weights["নদী"] == 1 + LEAD_WEIGHT  # in the lead only
    assert weights["সেতু"] == 2 + LEAD_WEIGHT  # once in the lead, once after it
    assert weights["পাহাড়"] == 1  # after the lead only
    one_paragraph = {term.decode(): weight for term, _, weight, _ in body.index("নদী সেতু")}
    assert one_paragraph["নদী"] == 1 + LEAD_WEIGHT  # a body of one paragraph is all lead


def _postings_by_definition(field, text: str) -> list[tuple[bytes, int, float, bytes]]:
    """A text field's postings computed the plain way, from the analyzer chain's tokens: an
    occurrence is in the lead when it starts before the first blank line."""
    from search.analysis import bangla_analyzer

    cut = text.find("\n\n") if field.lead_weight else -1
    cut = len(text) if cut < 0 and field.lead_weight else cut
    occurrences: dict[str, list[tuple[int, bool]]] = {}
    for t in bangla_analyzer()(text, positions=True, chars=True, mode="index"):
        occurrences.setdefault(t.text, []).append((t.pos, t.startchar < cut))
    found = []
    for term, seen in occurrences.items():
        positions = [pos for pos, _ in seen]
        in_lead = sum(lead for _, lead in seen)
        weight = (len(positions) + field.lead_weight * in_lead) * field.format.field_boost
        found.append((term.encode(), len(positions), weight, field.format.encode(positions)))
    return sorted(found)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["title", "body"])
def test_text_postings_are_the_terms_positions_and_lead_weights(name, corpus_articles):
    from search.whoosh_store.schema import build_schema

    field = build_schema()[name]
    for article in corpus_articles[:300]:
        text = article.title if name == "title" else article.body
        assert sorted(field.index(text)) == _postings_by_definition(field, text), article.path


@pytest.mark.parametrize("name", ["title", "body"])
@pytest.mark.parametrize("text", ["", " ", "।", "নদী সেতু\n\nসেতু পাহাড়", "এক\n\n\n\nদুই এক", "১০টি ১০ 10 নদী।"])
def test_text_postings_of_short_texts(name, text):
    from search.whoosh_store.schema import build_schema

    field = build_schema()[name]
    assert sorted(field.index(text)) == _postings_by_definition(field, text)


def test_packed_positions_read_back():
    from search.whoosh_store.schema import PackedPositions

    packed = PackedPositions()
    for positions in ([0], [5], [1, 2, 3], [70_000, 4_000_000_000]):
        value = packed.encode(positions)
        assert packed.decode_positions(value) == positions
        assert packed.decode_frequency(value) == len(positions)
    assert PackedPositions().encode([1, 256]) == bytes([1, 0, 0, 0, 0, 1, 0, 0])  # little-endian
