"""Every query's cost is bounded: the documented limits cut a query (and say so), a work budget
stops phrase work (and says so), and a costly query holds up no other request."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from waitress.server import create_server

from search.engine import SearchEngine, SearchRequest
from search.query import MAX_CLAUSES, MAX_QUERY_CHARS, MAX_WORDS, parse_query
from search.text_terms import token_spans
from search.whoosh_store import WhooshStore, scoring
from search.whoosh_store.scoring import SizedLRU
from tests.conftest import LiveServer
from web import create_app


def common_pair(service: SearchEngine) -> list[str]:
    """Two words standing together in many articles' bodies: a phrase that takes position work."""
    held = service.store.view()
    seen: dict[tuple[str, str], set[int]] = {}
    for doc in held.columns.live.tolist():
        words = [t for t, _, _ in token_spans(held.stored_fields(doc)["body"])]
        for pair in zip(words, words[1:], strict=False):
            seen.setdefault(pair, set()).add(doc)
    return list(max(seen, key=lambda p: len(seen[p])))


# --- the documented limits -----------------------------------------------------------------


def test_a_query_within_the_limits_is_not_cut():
    parsed = parse_query(" ".join(f"শব্দ{i}" for i in range(MAX_CLAUSES)))
    assert len(parsed.clauses) == MAX_CLAUSES and not parsed.cut


def test_clauses_past_the_limit_are_cut_and_said():
    parsed = parse_query(" ".join(f"শব্দ{i}" for i in range(MAX_CLAUSES + 1)))
    assert len(parsed.clauses) == MAX_CLAUSES and parsed.cut


def test_words_past_the_limit_cut_the_phrase_that_reaches_it():
    phrase = '"' + " ".join(["ও"] * (MAX_WORDS - 2)) + '"'
    parsed = parse_query(f"{phrase} {phrase}")
    assert [len(c.words) for c in parsed.clauses] == [MAX_WORDS - 2, 2]
    assert all(c.phrase for c in parsed.clauses) and parsed.cut


def test_a_phrase_cut_to_one_word_is_a_word():
    phrase = '"' + " ".join(["ও"] * (MAX_WORDS - 1)) + '"'
    parsed = parse_query(f'{phrase} "ঢাকা শহর"')
    assert parsed.clauses[-1].words == ("ঢাকা",) and not parsed.clauses[-1].phrase and parsed.cut


def test_text_past_the_character_limit_is_cut_and_said():
    assert parse_query("ঢাকা " + " " * MAX_QUERY_CHARS).cut
    assert not parse_query("ঢাকা " + " " * (MAX_QUERY_CHARS - 10)).cut


def test_the_answer_says_a_query_was_cut(sample_index):
    service = SearchEngine(WhooshStore(sample_index))
    answer = service.search(SearchRequest(q="ঢাকা " * 40))
    assert answer["partial"] == "query_cut" and answer["total"] > 0
    assert service.search(SearchRequest(q="ঢাকা"))["partial"] is None


# --- the work budget -----------------------------------------------------------------------


def test_a_spent_budget_answers_with_what_it_verified_and_says_so(sample_index, monkeypatch):
    monkeypatch.setattr(scoring, "PHRASE_BATCH", 1)  # the sample's few articles: a batch each
    service = SearchEngine(WhooshStore(sample_index))
    phrase = '"' + " ".join(common_pair(service)) + '"'
    full = service.search(SearchRequest(q=phrase, per_page=100))
    assert full["partial"] is None and full["total"] > 1
    cut = service.search(SearchRequest(q=phrase, per_page=100), work_budget=1)
    assert cut["partial"] == "work_budget"
    # Only what was verified: fewer results, every one of them a true match.
    assert 0 < cut["total"] < full["total"]
    assert {r["id"] for r in cut["results"]} < {r["id"] for r in full["results"]}


def test_an_excluded_phrase_past_the_budget_keeps_the_unchecked_matches(sample_index, monkeypatch):
    monkeypatch.setattr(scoring, "PHRASE_BATCH", 1)
    service = SearchEngine(WhooshStore(sample_index))
    words = common_pair(service)
    q = f'{words[0]} -"{" ".join(words)}"'
    full = service.search(SearchRequest(q=q))
    cut = service.search(SearchRequest(q=q), work_budget=1)
    assert cut["partial"] == "work_budget" and cut["total"] > full["total"]


def test_the_budget_is_enforced_by_a_real_server(sample_index, monkeypatch):
    monkeypatch.setenv("SANDHAN_WORK_BUDGET", "1")
    phrase = '"' + " ".join(common_pair(SearchEngine(WhooshStore(sample_index)))) + '"'
    server = LiveServer(sample_index).start()
    try:
        # The required phrase spends the budget (its one batch is checked whole); excluding it
        # again finds the budget spent, so the exclusion is left undone and the answer says so.
        body = server.get("/api/search", q=f"{phrase} -{phrase}").json()
        assert body["partial"] == "work_budget" and body["total"] > 0
        # A spent budget with nothing left undone is no partial answer.
        assert server.get("/api/search", q=phrase).json()["partial"] is None
        assert server.get("/api/search", q="ঢাকা").json()["partial"] is None
    finally:
        server.stop()


# --- no request waits for another ----------------------------------------------------------


@pytest.fixture
def in_process_server(sample_index):
    """The app on waitress in this process (so a test can hold a query mid-way), 8 threads."""
    server = create_server(create_app({"INDEX_DIR": str(sample_index)}), host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    # Closed from its own loop (the trigger runs it there): closing it from here could pull its
    # socket from under a select() in progress.
    server.trigger.pull_trigger(server.close)
    thread.join(30)


def test_an_ordinary_query_is_answered_while_four_costly_ones_are_held_midway(
    in_process_server, sample_index, monkeypatch
):
    """Four phrase queries are stopped inside their position work (where a slow query spends its
    time) until the ordinary query has been answered: if any lock were held for the length of a
    query, the ordinary one would wait for them, and they wait for it."""
    import requests

    words = common_pair(SearchEngine(WhooshStore(sample_index)))
    inside = threading.Semaphore(0)
    release = threading.Event()
    positions_in = scoring.TermScorer.positions_in

    def held_positions_in(self, field, term, docs):
        inside.release()
        assert release.wait(60), "the costly query was never released"
        return positions_in(self, field, term, docs)

    monkeypatch.setattr(scoring.TermScorer, "positions_in", held_positions_in)
    costly_answers: list[int] = []

    def costly() -> None:
        r = requests.get(in_process_server + "/api/search", params={"q": f'"{" ".join(words)}"'}, timeout=120)
        costly_answers.append(r.status_code)

    costly_threads = [threading.Thread(target=costly) for _ in range(4)]
    for t in costly_threads:
        t.start()
    try:
        for _ in range(4):  # every costly query is inside its phrase work now
            assert inside.acquire(timeout=60), "a costly query never reached its position work"
        # One word: no phrase, no proximity, so it needs no positions and is never held.
        r = requests.get(in_process_server + "/api/search", params={"q": "ঢাকা"}, timeout=30)
        assert r.status_code == 200 and r.json()["total"] > 0
        assert not costly_answers  # the costly ones are still held: it did not wait for them
    finally:
        release.set()
        for t in costly_threads:
            t.join(120)
    assert costly_answers == [200] * 4


def test_the_page_says_a_query_was_cut(live_server):
    page = live_server.get("/", q="ঢাকা " * 40).text
    assert 'class="partial"' in page and "প্রথম অংশটুকু খোঁজা হয়েছে" in page
    assert 'class="partial"' not in live_server.get("/", q="ঢাকা").text


def test_a_q_past_the_character_limit_says_it_was_cut(live_server):
    body = live_server.get("/api/search", q="ঢাকা " + "খ" * (MAX_QUERY_CHARS + 500)).json()
    assert body["partial"] == "query_cut" and len(body["query"]) == MAX_QUERY_CHARS
    assert live_server.get("/api/search", q="ঢাকা " + "খ" * 500).json()["partial"] is None


def test_an_exclusion_past_the_word_limit_is_left_out_not_shortened():
    padding = " ".join(f"শব্দ{i}" for i in range(MAX_WORDS - 1))
    parsed = parse_query(f'{padding} -"বৃষ্টি হয়েছে"')
    assert parsed.cut and not parsed.negative  # `-বৃষ্টি` alone would exclude more


def test_date_and_desk_filters_come_before_phrase_work(sample_index, monkeypatch):
    """A window that holds no article leaves a phrase nothing to check: no budget is spent."""
    monkeypatch.setattr(scoring, "PHRASE_BATCH", 1)
    service = SearchEngine(WhooshStore(sample_index))
    phrase = '"' + " ".join(common_pair(service)) + '"'
    assert service.search(SearchRequest(q=phrase), work_budget=1)["partial"] == "work_budget"
    empty_window = SearchRequest(q=phrase, date_from=date(1990, 1, 1), date_to=date(1990, 1, 2))
    answer = service.search(empty_window, work_budget=1)
    assert answer["total"] == 0 and answer["partial"] is None


# --- caches a hostile visitor cannot grow without bound -------------------------------------


def test_a_sized_cache_counts_exactly_what_it_holds():
    cache = SizedLRU(10, len)
    grown = cache.get_or_compute("a", lambda: [1, 2, 3])
    grown.extend([4, 5])
    cache.grew("a", grown)
    assert cache.get_or_compute("a", lambda: ["recomputed"]) is grown
    cache.get_or_compute("b", lambda: [1] * 4)
    cache.get_or_compute("c", lambda: [])  # weighs 1, not 0
    cache.get_or_compute("d", lambda: [1, 2])
    held = sum(weight for _, weight in cache._items.values())
    assert cache._held == held <= 10 and "a" not in cache._items  # the oldest went first


def test_made_up_words_fill_the_caches_within_their_bounds(sample_index):
    scorer = WhooshStore(sample_index).view().scorer
    scorer._scores.capacity = 1600
    for i in range(5000):
        assert not len(scorer.scores("body", f"নেইশব্দ{i}"))
        assert scorer.doc_frequency("body", f"নেইশব্দ{i}") == 0
    assert len(scorer._scores) <= 100  # an empty entry weighs 16
    assert all(scorer._doc_frequency.values())  # only the words the index holds are kept
