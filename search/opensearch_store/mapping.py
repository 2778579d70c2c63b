"""The settings and mappings the project writes: the analyzed terms of title and body indexed as
our own analyzer made them (search/analysis), scored by the ranking policy's BM25F
(search/policy.py) through a scripted similarity.

Each text is indexed as its analyzed terms joined by spaces (`terms_text`), into a field with the
whitespace tokenizer: one token per position, so phrases and proximity see the positions our
analyzer gave (a position whose word makes no term holds GAP, dropped with its place kept). A
term of the lead paragraph carries LEAD_MARK and is indexed twice at its position: its frequency
counts 1 + LEAD_WEIGHT (LEAD_WEIGHT is 1), the length (overlaps discounted) counts it once. The
title's frequency is doubled by the similarity (TITLE_OCCURRENCE_WEIGHT).
"""

from __future__ import annotations

from search.policy import K1, LEAD_WEIGHT, TITLE_OCCURRENCE_WEIGHT, B

GAP = "_"
LEAD_MARK = "^"

# The stacked lead tokens stand for LEAD_WEIGHT == 1 (one extra occurrence each).
assert LEAD_WEIGHT in (0.0, 1.0), "the lead is stacked once: another LEAD_WEIGHT needs a new mapping"
LEAD_WEIGHT_ON = LEAD_WEIGHT > 0

# BM25 as search/whoosh_store/scoring.py computes it: idf log(1 + (N - df + 0.5) / (df + 0.5)), the
# field weight as the query's boost, frequency over frequency plus K1 · (1 - b + b · length / avg).
# The average length is counted by the build over positions holding a term. Similarity scripts
# take no parameters: the numbers are written into the script.
_WEIGHT = "return query.boost * Math.log(1 + (field.docCount - term.docFreq + 0.5) / (term.docFreq + 0.5));"
_SCORE = (
    "double tf = doc.freq * {tf_weight}; double norm = {k1} * (1 - {b} + {b} * doc.length / {avgdl});"
    " return weight * tf * ({k1} + 1) / (tf + norm);"
)


def _similarity(field: str, avgdl: float, tf_weight: float) -> dict:
    source = _SCORE.format(
        k1=float(K1), b=float(B[field]), avgdl=max(float(avgdl), 1e-9), tf_weight=float(tf_weight)
    )
    return {"type": "scripted", "weight_script": {"source": _WEIGHT}, "script": {"source": source}}


def index_body(
    avg_title: float, avg_body: float, shards: int = 1, replicas: int = 0, meta: dict | None = None
):
    """Settings and mappings of one generation's article index."""
    stored = {"type": "text", "index": False}
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "refresh_interval": "-1",  # refreshed once, when the build is complete
            "analysis": {
                "filter": {
                    "sandhan_gap": {"type": "stop", "stopwords": [GAP]},
                    "sandhan_lead": {
                        "type": "pattern_capture",
                        "preserve_original": True,
                        "patterns": [f"^(.+)\\{LEAD_MARK}$"],
                    },
                    "sandhan_unmark": {
                        "type": "pattern_replace",
                        "pattern": f"\\{LEAD_MARK}$",
                        "replacement": "",
                    },
                },
                "analyzer": {
                    "sandhan_terms": {
                        "type": "custom",
                        "tokenizer": "whitespace",
                        "filter": ["sandhan_gap", "sandhan_lead", "sandhan_unmark"],
                    }
                },
            },
            "similarity": {
                "title_bm25": _similarity("title", avg_title, TITLE_OCCURRENCE_WEIGHT),
                "body_bm25": _similarity("body", avg_body, 1.0),
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": meta or {},
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
                "updated": {"type": "keyword", "index": False, "doc_values": False},
                "path": {"type": "keyword", "index": False, "doc_values": False},
                "fingerprint": {"type": "keyword", "index": False, "doc_values": False},
                "body_hash": {"type": "keyword"},
                # Read for every candidate of a query: doc values, not the (large) source.
                "similar_ids": {"type": "keyword", "index": False},
                "title_forms": {"type": "keyword", "index": False},  # the exact-form bonus
                "title_terms": {"type": "text", "analyzer": "sandhan_terms", "similarity": "title_bm25"},
                "body_terms": {"type": "text", "analyzer": "sandhan_terms", "similarity": "body_bm25"},
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
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {
            "dynamic": "strict",
            "properties": {"holder": {"type": "keyword"}, "since": {"type": "keyword"}},
        },
    }
