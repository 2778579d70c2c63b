"""The query language: words, phrases, exclusions, title:, and anything else read as words."""

import pytest

from search.query import Clause, parse_query


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ঢাকা বৃষ্টি", [Clause(("ঢাকা",)), Clause(("বৃষ্টি",))]),
        ('"জেলা পুলিশ"', [Clause(("জেলা", "পুলিশ"), phrase=True)]),
        ("-পুলিশ", [Clause(("পুলিশ",), exclude=True)]),
        ('-"জেলা পুলিশ"', [Clause(("জেলা", "পুলিশ"), phrase=True, exclude=True)]),
        ("title:ঢাকা", [Clause(("ঢাকা",), field="title")]),
        ('title:"ঢাকা ওয়াসা"', [Clause(("ঢাকা", "ওয়াসা"), phrase=True, field="title")]),
        ('"একটি', [Clause(("একটি",))]),  # unbalanced quote: the rest is read as words
        ('"জেলা পুলিশ', [Clause(("জেলা", "পুলিশ"), phrase=True)]),
        ("- ঢাকা", [Clause(("ঢাকা",))]),  # a lone operator is nothing
        # The minus sign, en and em dashes that phones and copied text put for "-" (U+2212, 2013, 2014)
        ("নির্বাচন \u2212ঢাকা", [Clause(("নির্বাচন",)), Clause(("ঢাকা",), exclude=True)]),
        ("নির্বাচন \u2013ঢাকা", [Clause(("নির্বাচন",)), Clause(("ঢাকা",), exclude=True)]),
        ('\u2014"জেলা পুলিশ"', [Clause(("জেলা", "পুলিশ"), phrase=True, exclude=True)]),
        ("\u2212title:ঢাকা", [Clause(("ঢাকা",), field="title", exclude=True)]),
        ("ঢাকা \u2013 খুলনা", [Clause(("ঢাকা",)), Clause(("খুলনা",))]),  # a dash between words
        ("১৯৭১\u20132024", [Clause(("১৯৭১\u20132024",))]),  # inside a word it stays
        ("*ঢাকা? ~", [Clause(("ঢাকা",))]),  # wildcards and fuzziness mean nothing here
        ("body:ঢাকা", [Clause(("body",)), Clause(("ঢাকা",))]),  # unknown field: words
        ("AND OR NOT", [Clause(("AND",)), Clause(("OR",)), Clause(("NOT",))]),
        ("ঢাকা\x00\x07খুলনা", [Clause(("ঢাকা",)), Clause(("খুলনা",))]),
        ("\u09be\u09bf", []),  # lone combining marks
        ("", []),
    ],
)
def test_parse(text, expected):
    assert list(parse_query(text).clauses) == expected


def test_long_queries_are_bounded():
    parsed = parse_query("ঢাকা " * 3000)
    assert 0 < len(parsed.clauses) <= 32


def test_round_trip_text():
    assert str(parse_query('ঢাকা "জেলা পুলিশ" -বৃষ্টি title:কিম')) == 'ঢাকা "জেলা পুলিশ" -বৃষ্টি title:কিম'
