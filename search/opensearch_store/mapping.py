"""The settings and mappings the project writes: the analyzed terms of title and body indexed as
our own analyzer made them (search/analysis), scored by the ranking policy's BM25F
(search/policy.py) with Lucene's own BM25, one similarity per field.

Each text is indexed as its analyzed terms joined by spaces (`terms_text`), into a field with the
whitespace tokenizer: one token per position, so phrases and proximity see the positions our
analyzer gave (a position whose word makes no term holds GAP, dropped with its place kept). A term
carrying TWICE_MARK is indexed twice at its position: its frequency counts 2, the length (overlaps
discounted) counts it once. So the policy's occurrence weights are frequencies: every title term
carries the mark (TITLE_OCCURRENCE_WEIGHT 2), and every term of the body's lead (LEAD_WEIGHT 1:
1 + 1 occurrences).

The policy's BM25 (search/whoosh_store/scoring.py) is Lucene's, but for three things, each
answered here: the field weight is the query's boost; OpenSearch's BM25 multiplies by (1 + k1) of
the field where the policy multiplies by (1 + K1) (the build records the ratio per field, and the
query's boosts carry it: searching.py `field_weights`); and Lucene's average length counts every
indexed token (the doubled ones too) over the documents holding the field, where the policy
counts positions over every document. The average Lucene uses is `c` times the policy's, a
number the build knows; k1' = K1 (1 - b + c b) and b' = c b K1 / k1' make Lucene's length
normalization k1' (1 - b' + b' length / (c avg)) exactly the policy's K1 (1 - b + b length / avg).
"""

from __future__ import annotations

from search.policy import K1, LEAD_WEIGHT, TITLE_OCCURRENCE_WEIGHT, B

GAP = "_"
TWICE_MARK = "^"
# What a generation's mapping is: raised when a field is added or indexed otherwise, so that a
# generation an older build made is refused (rebuild) rather than searched without the field.
# 2: the body's paragraphs, each a value of `body_paragraphs`.
# 3: `path` indexed and `path`, `fingerprint` as doc values: an update finds the documents of the
#    pages that changed without reading every source (changes.py).
# 4: `month` (its month in Dhaka) as a keyword: the months facet counted by its ordinals, a third of
#    the time of a date histogram over `published` at a million pages (BENCHMARKS.md).
MAPPING_VERSION = 4
# Generations of these versions are searched as they are (the fields a search reads are alike; one
# older than MONTH_KEYWORD counts its months by a date histogram); an update of one older than
# MAPPING_VERSION is a rebuild.
SEARCHABLE_VERSIONS = (2, 3, 4)
MONTH_KEYWORD = 4
# Positions between two paragraphs of `body_paragraphs`: more than any paragraph's length, so that
# words found within PARAGRAPH_SLOP of each other stand in one paragraph.
PARAGRAPH_GAP = 100_000
PARAGRAPH_SLOP = PARAGRAPH_GAP - 1

# The marked tokens stand for these weights (one extra occurrence each).
assert LEAD_WEIGHT in (0.0, 1.0), "the lead is doubled: another LEAD_WEIGHT needs a new mapping"
assert TITLE_OCCURRENCE_WEIGHT == 2.0, "title terms are doubled: another weight needs a new mapping"
LEAD_WEIGHT_ON = LEAD_WEIGHT > 0


def _similarity(field: str, avg: float, indexed_avg: float) -> dict:
    """Lucene's BM25 with the policy's length normalization of `field`: `avg` the policy's
    average length, `indexed_avg` the one Lucene computes (module docstring)."""
    b = float(B[field])
    c = indexed_avg / avg if avg > 0 and indexed_avg > 0 else 1.0
    k1 = K1 * (1 - b + c * b)
    return {"type": "BM25", "k1": k1, "b": c * b * K1 / k1, "discount_overlaps": True}


def score_scales(lengths: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Field → (1 + K1) / (1 + k1 of its similarity): what a field's boost is multiplied by so
    that OpenSearch's BM25 (which multiplies by 1 + k1) scores as the policy does."""
    return {f: (1 + K1) / (1 + _similarity(f, *lengths[f])["k1"]) for f in lengths}


def index_body(
    lengths: dict[str, tuple[float, float]], shards: int = 1, replicas: int = 0, meta: dict | None = None
):
    """Settings and mappings of one generation's article index; `lengths` holds each text
    field's average length as the policy counts it and as Lucene will (`_similarity`)."""
    stored = {"type": "text", "index": False}
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "refresh_interval": "-1",  # refreshed once, when the build is complete
            "analysis": {
                "filter": {
                    "sandhan_gap": {"type": "stop", "stopwords": [GAP]},
                    "sandhan_twice": {
                        "type": "pattern_capture",
                        "preserve_original": True,
                        "patterns": [f"^(.+)\\{TWICE_MARK}$"],
                    },
                    "sandhan_unmark": {
                        "type": "pattern_replace",
                        "pattern": f"\\{TWICE_MARK}$",
                        "replacement": "",
                    },
                },
                "analyzer": {
                    "sandhan_terms": {
                        "type": "custom",
                        "tokenizer": "whitespace",
                        "filter": ["sandhan_gap", "sandhan_twice", "sandhan_unmark"],
                    },
                    # The terms as they are (no weights): where words stand, not how much.
                    "sandhan_plain": {"type": "custom", "tokenizer": "whitespace", "filter": ["sandhan_gap"]},
                },
            },
            "similarity": {
                "title_bm25": _similarity("title", *lengths["title"]),
                "body_bm25": _similarity("body", *lengths["body"]),
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": meta or {},
            # The analyzed terms are indexed, never read back: a smaller source reads faster.
            "_source": {"excludes": ["title_terms", "body_terms", "body_paragraphs"]},
            "properties": {
                "id": {"type": "keyword"},
                "seq": {"type": "integer"},  # the order pages were read in: ties go to the earlier
                "title": stored,
                "body": stored,
                "desk": {"type": "keyword"},
                "published": {
                    "type": "date",
                    "format": "date_time_no_millis||date_time||strict_date_optional_time",
                },
                "month": {"type": "keyword", "index": False},  # counted, never searched
                "updated": {"type": "keyword", "index": False, "doc_values": False},
                "path": {"type": "keyword"},  # the page's file: an update asks which changed
                "fingerprint": {"type": "keyword", "index": False},
                "body_hash": {"type": "keyword"},
                # Read for every candidate of a query: doc values, not the (large) source.
                "similar_ids": {"type": "keyword", "index": False},
                # The exact-form bonus: asked as term queries of the best candidates.
                "title_forms": {"type": "keyword", "doc_values": False},
                "title_terms": {"type": "text", "analyzer": "sandhan_terms", "similarity": "title_bm25"},
                "body_terms": {"type": "text", "analyzer": "sandhan_terms", "similarity": "body_bm25"},
                # The paragraph bonus: a span of every query word within one paragraph (a value).
                "body_paragraphs": {
                    "type": "text",
                    "analyzer": "sandhan_plain",
                    "position_increment_gap": PARAGRAPH_GAP,
                    "norms": False,
                    "index_options": "positions",
                },
            },
        },
    }


def lexicon_body() -> dict:
    """The side index holding a generation's vocabulary: chunks of "term\\tdf" lines, not indexed."""
    return {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"dynamic": "strict", "properties": {"lines": {"type": "text", "index": False}}},
    }


def lock_body() -> dict:
    return {
        # A copy on every node: with its only copy on a node lost, no build could take the lock
        # (bench/opensearch_node_loss.py saw every rebuild refused).
        "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-all"},
        "mappings": {
            "dynamic": "strict",
            "properties": {"holder": {"type": "keyword"}, "since": {"type": "keyword"}},
        },
    }
