"""Every feature of the API and the page on both stores: the Whoosh store and the OpenSearch
store on a real node (conftest: `opensearch_url`), over the sample pages. The bodies are those of
test_api.py and test_search_features.py, run against each store in turn; then what only a
cluster has: an unreachable cluster, the build lock, a rebuild killed midway."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
import requests
import test_api
import test_search_features as features
from conftest import REPO, SAMPLES, BuildPause, LiveServer, free_port
from test_watch import page

from search.engine import SearchEngine
from search.store import StoreQuery
from web import create_app
from web.params import parse_request

# --- the same tests, each store in turn --------------------------------------------------------

SERVER_TESTS = [
    test_api.test_openapi_document_is_valid,
    test_api.test_healthz,
    test_api.test_search_finds_and_highlights,
    test_api.test_desk_facet_counts_cover_the_whole_result_set,
    test_api.test_desk_filter,
    test_api.test_sorting_and_undated_last,
    test_api.test_paging,
    test_api.test_html_in_results_is_escaped,
    test_api.test_article_and_unknown_article,
    test_api.test_unknown_api_path_is_json_404,
    features.test_a_suggestion_comes_from_the_query_as_searched,
]


@pytest.mark.parametrize("body", SERVER_TESTS, ids=[t.__name__.removeprefix("test_") for t in SERVER_TESTS])
def test_served(store_server, body):
    body(store_server)


@pytest.mark.parametrize("date_from, date_to", [("2024-01-01", "2024-12-31"), ("০১/০১/২০২৪", "৩১/১২/২০২৪")])
def test_date_filters(store_server, date_from, date_to):
    test_api.test_date_filter_in_every_format(store_server, date_from, date_to)


@pytest.mark.parametrize("q", test_api.HOSTILE + ["x" * 600], ids=range(len(test_api.HOSTILE) + 1))
def test_hostile_queries(store_server, q):
    test_api.test_hostile_queries_never_fail(store_server, q)


def test_a_long_unknown_article_id_is_404(store_server):
    test_api.test_the_404_of_an_unknown_article_repeats_at_most_40_characters_of_its_id(
        store_server, "খবর" * 2_000
    )


CLIENT_TESTS = [
    features.test_romanized_query_is_interpreted_and_finds_bangla_articles,
    features.test_mixed_script_query,
    features.test_bangla_query_has_no_interpretation,
    features.test_misspelled_query_gets_a_suggestion,
    features.test_no_suggestion_when_the_query_finds_enough,
    features.test_suggest_completes_terms_then_titles,
    features.test_suggest_at_a_vowel_sign_and_with_a_head,
    features.test_suggest_of_nothing_is_empty,
    features.test_romanized_query_shows_what_was_searched_on_the_page,
    features.test_article_lists_related_articles_never_itself,
    features.test_romanized_words_in_a_phrase_and_an_exclusion,
    features.test_an_early_from_date_still_leaves_out_undated_articles,
    features.test_a_minus_sign_or_dash_excludes_as_the_hyphen_does,
    features.test_romanized_off_searches_latin_words_as_typed,
]


@pytest.mark.parametrize("body", CLIENT_TESTS, ids=[t.__name__.removeprefix("test_") for t in CLIENT_TESTS])
def test_features(store_client, body):
    body(store_client)


def test_typed_dates_are_read(store_client):
    body = store_client.get("/api/search", query_string={"q": "বৃষ্টি ২০২৪", "dates": "on"}).get_json()
    assert body["date_reading"] and body["date_reading"]["applied"]
    assert all(r["published"] is None or r["published"].startswith("2024") for r in body["results"])


def test_the_page_shows_results_and_facets(store_client):
    page = store_client.get("/?q=বৃষ্টি").get_data(as_text=True)
    assert "<mark>" in page and "বৃষ্টি" in page


# --- both stores give the same answers ---------------------------------------------------------

SAME_QUERIES = ["ঢাকা", "বৃষ্টি ঢাকা", "ক্রিকেট দল", "ঢাকায় টানা বৃষ্টিতে", '"টানা বৃষ্টিতে"', "title:ক্রিকেট", "", "dhaka"]


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("q", SAME_QUERIES)
def test_both_stores_answer_alike(request, q, sort):
    """The same results, totals and facets; the same order but among near-ties, scores within
    10 %: Lucene keeps a field's length in one byte as Whoosh does but rounds it differently, and
    scores a word's other spellings as terms of their own (Whoosh: one term, `group_scores`)."""
    args = {"q": q, "sort": sort, "per_page": "20"}
    whoosh, cluster = (
        create_app({**store_config_of(which, request), "TESTING": True})
        .test_client()
        .get("/api/search", query_string=args)
        .get_json()
        for which in ("whoosh", "opensearch")
    )
    assert whoosh["total"] == cluster["total"]
    assert whoosh["facets"] == cluster["facets"]
    if sort != "relevance" or not q:  # by date: exactly the same order
        assert [r["id"] for r in whoosh["results"]] == [r["id"] for r in cluster["results"]]
    ours = {r["id"]: r for r in cluster["results"]}
    assert set(ours) == {r["id"] for r in whoosh["results"]}
    place = {r["id"]: i for i, r in enumerate(cluster["results"])}
    for a, b in zip(whoosh["results"], whoosh["results"][1:], strict=False):
        if a["score"] is not None and a["score"] > b["score"] * 1.1:  # not a near-tie: the same order
            assert place[a["id"]] < place[b["id"]]
    for a in whoosh["results"]:
        b = ours[a["id"]]
        assert (a["score"] is None) == (b["score"] is None)
        if a["score"] is not None and sort == "relevance":
            assert b["score"] == pytest.approx(a["score"], rel=0.1, abs=0.01)
        assert (a["title_html"], a["snippet_html"], a["similar_ids"]) == (
            b["title_html"],
            b["snippet_html"],
            b["similar_ids"],
        )


def store_config_of(which: str, request) -> dict:
    from conftest import store_config

    return store_config(which, request)


@pytest.mark.parametrize("which", ["whoosh", "opensearch"])
def test_near_duplicates_are_folded_with_a_count(which, request, tmp_path):
    from search.opensearch_store import OpenSearchStore
    from search.whoosh_store import WhooshStore
    from tests.whoosh_store.test_build import write_page

    story = " ".join(
        ["চট্টগ্রাম বন্দরে আজ সকালে নতুন কনটেইনার জাহাজ ভিড়েছে বলে বন্দর কর্তৃপক্ষ জানিয়েছে।"] * 3
        + [f"বাক্য নম্বর {i} এই খবরের বিস্তারিত অংশ হিসেবে লেখা হয়েছে।" for i in range(30)]
    )
    src = tmp_path / "src"
    write_page(src, "0001_aaaaaaaaaaaaaaaa", "বন্দরে নতুন জাহাজ", story)
    write_page(src, "0002_bbbbbbbbbbbbbbbb", "চট্টগ্রাম বন্দরে জাহাজ ভিড়ল", story + " শেষ কথা।")  # a re-edit
    write_page(src, "0003_cccccccccccccccc", "বন্দরে অন্য খবর", "চট্টগ্রাম বন্দরে শ্রমিকদের কর্মবিরতি চলছে।")
    if which == "whoosh":
        store = WhooshStore(tmp_path / "index")
    else:
        store = OpenSearchStore(request.getfixturevalue("opensearch_url"), "folding")
    store.rebuild([src])
    answer = SearchEngine(store).search(parse_request({"q": "বন্দরে জাহাজ"}))
    assert answer["total"] == 3  # every matching article counts
    shown = {r["id"]: r for r in answer["results"]}
    assert len(shown) == 2  # the re-edit is folded into the copy ranked first
    folded = next(r for r in answer["results"] if r["similar"])
    assert folded["similar"] == 1 and folded["similar_ids"][0] in {
        "0001_aaaaaaaaaaaaaaaa",
        "0002_bbbbbbbbbbbbbbbb",
    }
    assert shown["0003_cccccccccccccccc"]["similar"] == 0
    # Related articles never list an article's near-duplicate.
    related = [r["id"] for r in SearchEngine(store).article(folded["id"])["related"]]
    assert folded["similar_ids"][0] not in related


# --- what only a cluster has -------------------------------------------------------------------


def test_an_unreachable_cluster_answers_503_never_500():
    app = create_app(
        {"OPENSEARCH": f"http://127.0.0.1:{free_port()}", "OPENSEARCH_NAME": "x", "TESTING": True}
    )
    client = app.test_client()
    for path in ("/api/search?q=ঢাকা", "/healthz", "/api/articles/x", "/api/suggest?q=ঢা"):
        r = client.get(path)
        assert r.status_code == 503, (path, r.status_code)
        assert r.get_json()["error"]
    assert client.get("/?q=ঢাকা").status_code == 503


def test_several_node_urls_keep_answering_when_one_node_is_lost(sample_cluster, caplog):
    """Given its nodes' URLs separated by commas, the store asks the next node when one does not
    answer (here a port nothing listens on: a node killed), so nothing fails; given that node
    alone, it answers 503 (bench/opensearch_node_loss.py measures a node killed under load). The
    client's warning for each failed attempt, a traceback each, stays out of the log."""
    url, name = sample_cluster
    lost = f"http://127.0.0.1:{free_port()}"

    def client(cluster: str):
        return create_app({"OPENSEARCH": cluster, "OPENSEARCH_NAME": name, "TESTING": True}).test_client()

    expected = client(url).get("/api/search?q=ঢাকা").get_json()
    assert expected["total"] > 0
    both = client(f"{lost}, {url}")
    for _ in range(6):  # the client takes the nodes in turn: the lost one is met first
        r = both.get("/api/search?q=ঢাকা")
        assert r.status_code == 200 and r.get_json()["total"] == expected["total"]
    assert both.get("/healthz").status_code == 200
    assert client(lost).get("/api/search?q=ঢাকা").status_code == 503
    assert not [r for r in caplog.records if r.name.startswith("opensearch")]


def test_a_missing_alias_answers_503(opensearch_url):
    client = create_app(
        {"OPENSEARCH": opensearch_url, "OPENSEARCH_NAME": "nothing-built", "TESTING": True}
    ).test_client()
    r = client.get("/api/search?q=ঢাকা")
    assert r.status_code == 503 and r.get_json()["error"]


def test_a_generation_of_another_mapping_answers_503(opensearch_url, tmp_path):
    """A generation an older build made (its mapping lacks a field this code searches) is refused
    with what to do, not searched without the field."""
    from search.opensearch_store import OpenSearchStore
    from tests.whoosh_store.test_build import write_page

    write_page(tmp_path / "src", "old", "পুরনো খবর", "পুরনো খবরের কথা।")
    OpenSearchStore(opensearch_url, "oldmap").rebuild([tmp_path / "src"])
    generation = _alias_target(opensearch_url, "oldmap")[0]
    meta = requests.get(f"{opensearch_url}/{generation}/_mapping", timeout=10).json()
    meta = meta[generation]["mappings"]["_meta"]
    r = requests.put(
        f"{opensearch_url}/{generation}/_mapping", json={"_meta": {**meta, "mapping_version": 1}}, timeout=10
    )
    assert r.ok, r.text
    client = create_app(
        {"OPENSEARCH": opensearch_url, "OPENSEARCH_NAME": "oldmap", "TESTING": True}
    ).test_client()
    r = client.get("/api/search?q=খবর")
    assert r.status_code == 503 and "rebuild" in r.get_json()["error"]["message"]


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "search.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env or os.environ.copy(),
    )


def _alias_target(url: str, name: str) -> list[str]:
    return sorted(requests.get(f"{url}/_alias/{name}", timeout=10).json())


def test_cli_rebuild_update_stats_and_search(opensearch_url, tmp_path):
    name = "cli"
    cluster = ("--opensearch", opensearch_url, "--name", name)
    out, _ = _cli("index", "rebuild", "--source", str(SAMPLES), *cluster).communicate(timeout=300)
    assert b"indexed:    18" in out, out.decode()
    out, _ = _cli("index", "stats", "--json", *cluster).communicate(timeout=60)
    import json

    stats = json.loads(out)
    assert stats["documents"] == 18 and stats["generation"] == f"{name}-gen-1" and stats["desks"]
    out, _ = _cli("search", "--json", "বৃষ্টি", *cluster).communicate(timeout=60)
    assert json.loads(out)["total"] > 0
    out, _ = _cli("index", "update", "--source", str(SAMPLES), *cluster).communicate(timeout=300)
    assert b"Updated to generation cli-gen-1" in out, out.decode()  # nothing changed: the same
    pages = tmp_path / "pages"
    shutil.copytree(SAMPLES, pages)
    (pages / "new1.txt").write_text(page("নতুন খবর", "নদীর ধারে নতুন খবর দেখা গেল। " * 5), "utf-8")
    out, _ = _cli("index", "update", "--source", str(pages), *cluster).communicate(timeout=300)
    assert b"Updated to generation cli-gen-2" in out and b"added:      1" in out, out.decode()
    assert _alias_target(opensearch_url, name) == [f"{name}-gen-2"]
    indices = requests.get(f"{opensearch_url}/_cat/indices/{name}-gen-*?h=index", timeout=10).text.split()
    assert sorted(indices) == [f"{name}-gen-2", f"{name}-gen-2-lexicon"]  # the old generation is gone
    lock = requests.get(f"{opensearch_url}/{name}-lock/_settings", timeout=10).json()
    assert lock[f"{name}-lock"]["settings"]["index"]["auto_expand_replicas"] == "0-all"  # on every node


def test_one_rebuild_at_a_time_and_a_killed_rebuild_leaves_the_alias_serving(opensearch_url, tmp_path):
    name = "killed"
    cluster = ("--opensearch", opensearch_url, "--name", name)
    assert _cli("index", "rebuild", "--source", str(SAMPLES), *cluster).wait(300) == 0
    before = _alias_target(opensearch_url, name)
    server = LiveServer(tmp_path, args=cluster).start()
    try:
        total = server.get("/api/search", q="বৃষ্টি").json()["total"]
        pause = BuildPause(tmp_path, "publish")
        building = _cli("index", "rebuild", "--source", str(SAMPLES), *cluster, env=pause.env)
        pause.wait_until_reached(building)
        # The lock is held: a second rebuild refuses, saying who holds it.
        second = _cli("index", "rebuild", "--source", str(SAMPLES), *cluster)
        out, _ = second.communicate(timeout=120)
        assert second.returncode != 0 and b"Another rebuild or update" in out, out.decode()
        os.kill(building.pid, signal.SIGKILL)  # midway: the new generation written, not switched
        building.wait()
        assert _alias_target(opensearch_url, name) == before
        assert server.get("/api/search", q="বৃষ্টি").json()["total"] == total
        # The next rebuild takes over the dead build's lock, clears what it left, and switches.
        out, _ = _cli("index", "rebuild", "--source", str(SAMPLES), *cluster).communicate(timeout=300)
        assert b"Built generation" in out, out.decode()
        after = _alias_target(opensearch_url, name)
        assert after != before
        indices = requests.get(f"{opensearch_url}/_cat/indices/{name}-gen-*?h=index", timeout=10).text.split()
        assert sorted(indices) == sorted([after[0], f"{after[0]}-lexicon"])
        assert server.get("/api/search", q="বৃষ্টি").json()["total"] == total
    finally:
        server.stop()


def _documents(url: str, name: str) -> dict[str, dict]:
    from opensearchpy import OpenSearch, helpers

    return {h["_id"]: h["_source"] for h in helpers.scan(OpenSearch([url]), index=name, size=500)}


def test_pages_read_by_two_processes_make_the_documents_one_makes(opensearch_url, tmp_path):
    """A rebuild's pages are read, analyzed and sent by worker processes, each with a share: the
    documents (page order, copies dropped and near-duplicates found across shares, analyzed
    terms) and the lexicon are those one process makes."""
    from opensearchpy import OpenSearch

    from search.opensearch_store import OpenSearchStore
    from search.opensearch_store.build import read_lexicon
    from tests.whoosh_store.test_build import write_page

    story = " ".join(f"বন্দরের খবরের বাক্য নম্বর {i} এখানে লেখা হয়েছে।" for i in range(40))
    first, last = tmp_path / "first", tmp_path / "last"  # read before and after the samples
    write_page(first, "0001_aaaaaaaaaaaaaaaa", "বন্দরে নতুন জাহাজ", story)
    write_page(last, "0002_bbbbbbbbbbbbbbbb", "বন্দরে জাহাজ ভিড়ল", story + " শেষ কথা।")  # a re-edit
    write_page(last, "0003_cccccccccccccccc", "বন্দরে নতুন জাহাজ", story)  # a copy
    sources = [first, SAMPLES, last]
    stores = {procs: OpenSearchStore(opensearch_url, f"procs{procs}") for procs in (1, 2)}
    for procs, store in stores.items():
        report = store.rebuild(sources, procs=procs)
        assert report.indexed == 18 + 2 and len(report.duplicates) == 1
    one, two = (_documents(opensearch_url, f"procs{procs}") for procs in (1, 2))
    assert len(one) == 20 and one == two
    assert one["0002_bbbbbbbbbbbbbbbb"]["similar_ids"]  # found across the two shares
    client = OpenSearch([opensearch_url])
    lexicons = [read_lexicon(client, _alias_target(opensearch_url, f"procs{p}")[0]) for p in (1, 2)]
    assert lexicons[0] and sorted(lexicons[0]) == sorted(lexicons[1])


def test_a_build_process_that_dies_fails_the_rebuild_and_keeps_the_alias(opensearch_url, monkeypatch):
    from search.build_workers import BuildFailed
    from search.opensearch_store import OpenSearchStore, build

    store = OpenSearchStore(opensearch_url, "dies")
    store.rebuild([SAMPLES], procs=1)
    before = _alias_target(opensearch_url, "dies")
    real = build._spool_share

    def dies_in_share_one(share, *rest):
        if share == 1:
            os._exit(3)  # as a process killed by the OOM killer would vanish
        return real(share, *rest)

    monkeypatch.setattr(build, "_spool_share", dies_in_share_one)
    with pytest.raises(BuildFailed, match="status 3"):
        store.rebuild([SAMPLES], procs=2)
    assert _alias_target(opensearch_url, "dies") == before
    assert SearchEngine(store).search(parse_request({"q": "বৃষ্টি"}))["total"] > 0
    monkeypatch.undo()
    assert store.rebuild([SAMPLES], procs=2).indexed == 18  # the lock was released


def test_a_store_query_for_titles(sample_cluster):
    """Search-as-you-type's title query: stop terms score only what the other words found."""
    from search.opensearch_store import OpenSearchStore
    from search.plan import PlannedQuery, Term, Unit

    store = OpenSearchStore(*sample_cluster)
    titles = PlannedQuery([Term(Unit(("বৃষ্টি",), False), ("title",))], [], [], set())
    answer = store.search(StoreQuery(titles, limit=3))
    assert answer.hits and all("বৃষ্টি" in h.fields["title"] for h in answer.hits)


def test_both_stores_weigh_a_headline_by_the_share_of_the_query_it_holds(opensearch_url, tmp_path):
    """A two-word query: the body holding both words comes before the headline holding one of
    them (search/policy.py, headline share), in the cluster as in the Whoosh store."""
    from test_headline_share import PAGES

    from search.engine import SearchRequest
    from search.opensearch_store import OpenSearchStore
    from search.whoosh_store import WhooshStore
    from search.whoosh_store.build import rebuild
    from tests.whoosh_store.test_build import write_page

    for name, (title, body) in PAGES.items():
        write_page(tmp_path / "pages", name, title, body)
    rebuild([tmp_path / "pages"], tmp_path / "index", procs=1)
    cluster = OpenSearchStore(opensearch_url, "headline-share")
    cluster.rebuild([tmp_path / "pages"])
    for q, expected in (("বন্যা নদী", ["headline-both", "body-both", "headline-one"]), ("বন্যা", None)):
        orders = [
            [r["id"] for r in SearchEngine(store).search(SearchRequest(q=q))["results"]]
            for store in (WhooshStore(tmp_path / "index"), cluster)
        ]
        assert orders[0] == orders[1], q
        if expected:
            assert orders[1] == expected


def test_a_shard_without_a_copy_makes_the_answer_partial_not_silently_short(opensearch_url):
    """A generation of two shards, one of them made unassigned (no replica to take its place):
    the answer has what the other shard holds and says `partial: shards_missing`; once the shard
    is back, the whole answer and no flag."""
    from search.opensearch_store import OpenSearchStore

    store = OpenSearchStore(opensearch_url, "lostshard", shards=2)
    assert store.rebuild([SAMPLES], procs=1).indexed == 18
    engine = SearchEngine(store)
    whole = engine.search(parse_request({"q": "বৃষ্টি"}))
    assert whole["partial"] is None and whole["total"] > 1
    generation = _alias_target(opensearch_url, "lostshard")[0]
    settings = f"{opensearch_url}/{generation}/_settings"
    shards = requests.get(f"{opensearch_url}/_cat/shards/{generation}?format=json", timeout=10).json()
    node = next(s["node"] for s in shards if s["shard"] == "1")
    # One shard per node allowed: the shard cancelled cannot come back while the rule holds.
    requests.put(settings, json={"index.routing.allocation.total_shards_per_node": 1}, timeout=10)
    cancel = {"cancel": {"index": generation, "shard": 1, "node": node, "allow_primary": True}}
    r = requests.post(f"{opensearch_url}/_cluster/reroute", json={"commands": [cancel]}, timeout=30)
    assert r.status_code == 200, r.text
    try:
        partial = engine.search(parse_request({"q": "বৃষ্টি"}))
        assert partial["partial"] == "shards_missing"
        assert partial["total"] < whole["total"]
    finally:
        requests.put(settings, json={"index.routing.allocation.total_shards_per_node": None}, timeout=10)
    health = requests.get(
        f"{opensearch_url}/_cluster/health/{generation}",
        params={"wait_for_status": "green", "timeout": "60s"},
        timeout=90,
    ).json()
    assert health["status"] == "green"
    again = engine.search(parse_request({"q": "বৃষ্টি"}))
    assert again["partial"] is None and again["total"] == whole["total"]


def test_candidates_found_tier_by_tier_are_the_unions_best(opensearch_url, tmp_path, monkeypatch):
    """The cluster ranks the documents holding every query word first (or nearly every word) and
    scores the union only when they are too few for the candidates and for the page: in each case
    the page, the scores, the total and the facets are those of scoring the whole union."""
    import random

    from search.opensearch_store import OpenSearchStore, searching
    from tests.whoosh_store.test_build import write_page

    rng = random.Random(7)
    digits = "০১২৩৪৫৬৭৮৯"
    # 30 pages hold the three words, 20 two of them, 20 one; the rest of each body is numbers,
    # so that no two pages are near-duplicates.
    for i, words in enumerate(["নদী গাছ পাখি"] * 30 + ["নদী গাছ"] * 20 + ["নদী"] * 20):
        numbers = " ".join("".join(rng.choice(digits) for _ in range(6)) for _ in range(40))
        write_page(tmp_path / "pages", f"tier-{i:02d}", f"প্রতিবেদন {numbers[:13]}", f"{words} {numbers}")
    store = OpenSearchStore(opensearch_url, "tiers")
    store.rebuild([tmp_path / "pages"])
    monkeypatch.setattr(searching, "_bonus_depth", lambda planned: 0)  # candidates: 2 × page + 10
    planned = SearchEngine(store)._plan(parse_request({"q": "নদী গাছ পাখি"}))[1]
    assert searching._tiers(planned) == [3, 2, 0]

    requests_made = []
    real_search = store.client.search
    monkeypatch.setattr(
        store.client, "search", lambda **kw: requests_made.append(kw["body"]) or real_search(**kw)
    )

    checked = []
    real_check = searching._check
    monkeypatch.setattr(searching, "_check", lambda *a: checked.append(a) or real_check(*a))

    def answer(limit: int, tiers: list[int]):
        monkeypatch.setattr(searching, "_tiers", lambda planned: tiers)
        requests_made.clear()
        checked.clear()
        found = store.search(StoreQuery(planned, limit=limit))
        ranked = [b for b in requests_made if "sort" in b and b["sort"][0] == {"_score": "desc"}]
        return found, len(ranked)

    # Candidates are 2 × page + 10. A page of 5 (20 candidates): the 30 holding every word fill
    # them. 25 (60): the 30 are all that hold every word, fewer than the candidates, yet they fill
    # the page. 35: the 50 holding two words or more fill it; 55: the union.
    for limit, tiers_asked in ((5, 0), (25, 0), (35, 1), (55, 2)):
        tiered, asked = answer(limit, [3, 2, 0])
        # The bonus checks are asked once: a tier too small to fill the page is not ranked.
        assert len(checked) == 1
        union, _ = answer(limit, [0])
        assert asked == tiers_asked  # ranking requests after the first (in the _msearch)
        assert tiered.total == union.total == 70
        assert (tiered.desks, tiered.months) == (union.desks, union.months)
        assert [(h.fields["id"], h.score) for h in tiered.hits] == [
            (h.fields["id"], h.score) for h in union.hits
        ]
        assert len(tiered.hits) == limit


def test_bonus_checks_asked_of_the_candidates_each_bonus_may_reach(opensearch_url, tmp_path, monkeypatch):
    """The later bonuses' checks (pairs, forms, paragraph) are asked of the best few candidates
    only, and again of a candidate the whole-query bonus lifts into them: the answer is the one
    of asking every check of every candidate."""
    import random

    from search.opensearch_store import OpenSearchStore, searching
    from tests.whoosh_store.test_build import write_page

    rng = random.Random(11)
    digits = "০১২৩৪৫৬৭৮৯"

    def numbers(n: int) -> str:
        return " ".join("".join(rng.choice(digits) for _ in range(6)) for _ in range(n))

    # Ten pages hold the three words apart, often (high scores, no phrase); two hold them once, as
    # the phrase, far down the body (low scores, lifted by the whole-query bonus).
    for i in range(10):
        scattered = " ".join(f"নদী {numbers(3)} গাছ {numbers(3)} পাখি {numbers(3)}" for _ in range(4))
        write_page(tmp_path / "pages", f"apart-{i}", f"প্রতিবেদন {i}", f"{scattered} {numbers(20)}")
    for i in range(2):
        write_page(tmp_path / "pages", f"phrase-{i}", f"খবর {i}", f"{numbers(60)} নদী গাছ পাখি {numbers(5)}")
    store = OpenSearchStore(opensearch_url, "checks")
    store.rebuild([tmp_path / "pages"])
    for name in ("PROXIMITY_DEPTH", "EXACT_FORM_DEPTH", "PARAGRAPH_DEPTH"):
        monkeypatch.setattr(searching, name, 3)
    planned = SearchEngine(store)._plan(parse_request({"q": "নদী গাছ পাখি"}))[1]

    asked = []
    real_matched = searching._matched
    monkeypatch.setattr(searching, "_matched", lambda *a: asked.append(a[2]) or real_matched(*a))
    split = store.search(StoreQuery(planned, limit=12))
    lifted = [c.id for c in asked[-1][0][0]] if len(asked) == 2 else []

    real_checks = searching._checks
    monkeypatch.setattr(searching, "_checks", lambda p: (*real_checks(p)[:2], searching.PHRASE_DEPTH))
    every = store.search(StoreQuery(planned, limit=12))
    assert [(h.fields["id"], h.score) for h in split.hits] == [(h.fields["id"], h.score) for h in every.hits]
    assert split.hits[0].fields["id"].startswith("phrase-")
    assert lifted and set(lifted) <= {"phrase-0", "phrase-1"}  # the second request was needed


def test_months_by_the_month_keyword_are_the_date_histograms(sample_cluster):
    """A generation of mapping 4 counts its months by the `month` keyword (faster); an older one
    by a date histogram over `published` in Dhaka. Both give the same months, ranked or by date,
    for a query and for every article."""
    from search.opensearch_store import OpenSearchStore, mapping, searching
    from search.plan import PlannedQuery, Term, Unit

    store = OpenSearchStore(*sample_cluster)
    assert store._record_of(store.generation())["mapping_version"] >= mapping.MONTH_KEYWORD
    word = PlannedQuery([Term(Unit(("বৃষ্টি",), False), ("title", "body"))], [], [], set())
    everything = PlannedQuery([], [], [], set())
    for planned in (word, everything):
        for sort in ("relevance", "newest"):
            query = StoreQuery(planned, sort=sort)
            by_keyword = searching.search(store.client, store.name, query, {}, month_keyword=True)
            by_date = searching.search(store.client, store.name, query, {}, month_keyword=False)
            assert len(by_keyword.months) >= 2
            assert by_keyword.months == by_date.months
