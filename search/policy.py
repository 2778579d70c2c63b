"""The ranking policy: every weight and depth of Sandhan's ranking, defined once.

Stores carry it out (search/whoosh_store/searching.py; the OpenSearch store as query DSL over
Lucene's BM25, search/opensearch_store/searching.py and mapping.py). Results are ordered by words
matched (all query words first), then by a score: BM25F over title and body (K1, B, FIELD_WEIGHT),
raised among the best candidates by the phrase, proximity, exact-form and paragraph bonuses.
BENCHMARKS.md (ranking choices) has what each value was measured against; the SANDHAN_* variables
exist for those benchmarks (bench/eval_dev.py).
"""

from __future__ import annotations

import os

# --- BM25F -----------------------------------------------------------------------------------
# K1 saturates term frequency, B normalizes for field length. Headlines are short and near-uniform,
# so they get less length normalization.
K1 = 1.2
B = {"title": 0.5, "body": 0.75}
# A word in the headline says more than one in the body. For a query of several words, a headline's
# part of the score counts for the share of the query words it holds: a headline sums its article
# up, and one naming a single word of several is about something else (BENCHMARKS.md: headline
# share; search/whoosh_store/searching.py `_headline_shortfall`).
FIELD_WEIGHT = {"title": 4.0, "body": 1.0}
# Each occurrence in a headline counts this much as a term frequency (an index-time weight, under
# BM25's saturation: a headline word's score grows faster than a body word's).
TITLE_OCCURRENCE_WEIGHT = 2.0
# How much more an occurrence in the lead paragraph weighs than one later in the body (an
# index-time weight: the body's postings carry it as their term frequency).
LEAD_WEIGHT = 1.0
# A word's other spellings in the archive (সরকারী for সরকারি) match it at this share of the score
# of the spelling typed: the article spelled as the reader spells comes first.
RESPELLING_WEIGHT = float(os.environ.get("SANDHAN_RESPELLING_WEIGHT", 0.5))

# --- Bonuses among the best candidates --------------------------------------------------------
# The whole query (three words or more) standing together in the best PHRASE_DEPTH candidates
# multiplies the score by (1 + FULL_PHRASE_WEIGHT): a remembered passage wins over scattered words.
PHRASE_DEPTH = int(os.environ.get("SANDHAN_PHRASE_DEPTH", 300))
FULL_PHRASE_WEIGHT = float(os.environ.get("SANDHAN_FULL_PHRASE_WEIGHT", 5.0))
# Among the best PROXIMITY_DEPTH candidates, each adjacent query-word pair found adjacent in the
# title or body multiplies the score by up to (1 + PROXIMITY_WEIGHT).
PROXIMITY_DEPTH = int(os.environ.get("SANDHAN_PROXIMITY_DEPTH", 50))
PROXIMITY_WEIGHT = float(os.environ.get("SANDHAN_PROXIMITY_WEIGHT", 1.0))
# Among the best EXACT_FORM_DEPTH candidates, a headline holding every query word in the form
# typed multiplies the score by (1 + EXACT_FORM_WEIGHT), some of them by their share of it. Depth
# 20, 30 and 50 and weights 0.5 and 1.0 measured the same on the dev sets; 0.2 less on variants.
EXACT_FORM_DEPTH = int(os.environ.get("SANDHAN_EXACT_FORM_DEPTH", 20))
EXACT_FORM_WEIGHT = float(os.environ.get("SANDHAN_EXACT_FORM_WEIGHT", 0.5))
# Among the best PARAGRAPH_DEPTH candidates, a body paragraph holding every query word (two or
# more, stopwords aside) multiplies the score by (1 + PARAGRAPH_WEIGHT): a paragraph develops one
# point, so words that share one are said of one thing. Weights 0.25, 0.5 and 1.0 and depths
# 20 and 50 measured the same on the dev sets; depth 10 a query less (BENCHMARKS.md: paragraph).
PARAGRAPH_DEPTH = int(os.environ.get("SANDHAN_PARAGRAPH_DEPTH", 20))
PARAGRAPH_WEIGHT = float(os.environ.get("SANDHAN_PARAGRAPH_WEIGHT", 0.5))

# --- Work ------------------------------------------------------------------------------------
# Position work one search may do (positions read plus phrase starts checked): ordinary queries
# use a few thousand; the costliest query within the limits of search.query stops here
# (BENCHMARKS.md: worst queries) and answers `"partial": "work_budget"`.
WORK_BUDGET = int(os.environ.get("SANDHAN_WORK_BUDGET", 2_000_000))
# Position work the bonuses of one search may do: ranking only, so running out of it leaves some
# candidates without a bonus, never a result out.
RANKING_WORK = WORK_BUDGET // 4

# --- Related articles ------------------------------------------------------------------------
# An article's related articles are scored on this many of its most distinctive words.
RELATED_TERMS = 12
