"""The HTML pages through Flask's test client: the search form, results, filters, the month chart,
the article page and errors, all in Bangla; the chart's counts checked against the index itself."""

from __future__ import annotations

import dataclasses
import gzip
import re
from collections import Counter
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import brotli
import pytest
import requests
from backports import zstd

from search.article import ARTICLE_PATH, DHAKA
from search.engine import SearchRequest
from search.query import MAX_QUERY_CHARS, parse_query
from search.whoosh_store.generations import current_generation, open_generation
from web import months, pages
from web.openapi import openapi_document
from web.params import MAX_DESK_CHARS, MAX_PAGE

BANGLA_STAMP = re.compile(r"[০-৯]{2} \S+ [০-৯]{4}, [০-৯]{2}:[০-৯]{2}")


class Page(HTMLParser):
    """The parts of a rendered page the tests look at: links (and whether they sit in the chart),
    the chart's bar titles, elements by id, and every element in document order."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.links: list[dict] = []
        self.dead_links: list[dict] = []
        self.bars: list[dict] = []  # the chart's bars: {"href" (None if empty), "month", "title"}
        self.by_id: dict[str, dict] = {}
        self.order: list[dict] = []
        self._stack: list[dict] = []
        self._text_sinks: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        in_svg = any(e["tag"] == "svg" for e in self._stack)
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "in_svg": in_svg}
        self.order.append(el)
        if "id" in el["attrs"]:
            self.by_id[el["attrs"]["id"]] = el
        if tag == "a":
            # A link without href (a disabled pager link) leads nowhere: kept apart.
            (self.links if "href" in el["attrs"] else self.dead_links).append(el)
        if tag in ("meta", "link", "input", "br", "img"):
            return  # void elements: nothing to close
        self._stack.append(el)

    def handle_endtag(self, tag):
        while any(e["tag"] == tag for e in self._stack):
            el = self._stack.pop()
            if el["tag"] == "title" and el["in_svg"]:
                bar = next(e for e in reversed(self._stack) if e["tag"] in ("a", "g"))
                href, month = bar["attrs"].get("href"), bar["attrs"]["data-month"]
                self.bars.append({"href": href, "month": month, "title": el["text"]})
            if el["tag"] == tag:
                break

    def handle_data(self, data):
        for el in self._stack:
            el["text"] += data

    def link(self, text: str) -> dict:
        return next(a for a in self.links if a["text"].strip() == text)

    def chart_links(self) -> list[dict]:
        return [a for a in self.links if a["in_svg"]]


def params(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def get(client, path: str, status: int = 200, **query) -> Page:
    response = client.get(path, query_string=query or None)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


# ---------------------------------------------------------------------------------------------
# The form


def test_form_renders_in_bangla_with_labelled_fields(client):
    response = client.get("/")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert '<html lang="bn">' in page.html
    assert 'name="viewport"' in page.html
    # The date fields are text (type=date would show mm/dd/yyyy and refuse Bangla), day first.
    for field_id, kind in (("q", "search"), ("from", "text"), ("to", "text")):
        assert page.by_id[field_id]["attrs"]["type"] == kind
        assert f'<label for="{field_id}"' in page.html or f'for="{field_id}"' in page.html
    for field_id in ("from", "to"):
        assert page.by_id[field_id]["attrs"]["placeholder"] == "দিন/মাস/বছর"
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', page.html)
    assert options == [("relevance", "প্রাসঙ্গিকতা"), ("newest", "নতুন আগে"), ("oldest", "পুরনো আগে")]
    for label in ("আজ", "গত ৭ দিন", "গত ৩০ দিন", "এই বছর"):
        assert page.link(label)
    assert "Content-Security-Policy" in response.headers


def test_the_hints_example_of_an_exclusion_is_read_as_one(client):
    hint = get(client, "/").by_id["q-help"]["text"]
    example = re.search(r"যেমন (\S+)\)", hint).group(1)
    assert parse_query(example).clauses[0].exclude, example


@pytest.mark.parametrize("path", ["/", "/?q=ঢাকা", "/articles/0001_1b7861754796836a?q=ঢাকা", "/nope"])
def test_no_inline_script_or_style_and_nothing_from_another_host(client, path):
    html = client.get(path).get_data(as_text=True)
    # The CSP blocks inline script and style (attributes too), so none may be relied on.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|\sstyle=|\son\w+=", html)
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    # Our own files, named by their content's hash so that a browser may keep them for good.
    assert re.search(r'src="/static/search\.js\?v=[0-9a-f]{12}"', html)
    assert re.search(r'href="/static/style\.css\?v=[0-9a-f]{12}"', html)


def test_static_files_are_served(client):
    css = client.get("/static/style.css").get_data(as_text=True)
    assert '"Noto Sans Bengali", SolaimanLipi, Kalpurush, Vrinda, sans-serif' in css
    assert "@import" not in css and "url(" not in css  # no web fonts, nothing fetched
    script = client.get("/static/search.js").get_data(as_text=True)
    assert "/api/suggest" in script and "404" in script


def test_quick_ranges_end_today_in_dhaka(client, monkeypatch):
    monkeypatch.setattr(months, "today_dhaka", lambda: date(2024, 8, 15))
    page = get(client, "/", q="ঢাকা", sort="newest")
    expected = {
        "আজ": ("2024-08-15", "2024-08-15"),
        "গত ৭ দিন": ("2024-08-09", "2024-08-15"),
        "গত ৩০ দিন": ("2024-07-17", "2024-08-15"),
        "এই বছর": ("2024-01-01", "2024-08-15"),
    }
    for label, (lo, hi) in expected.items():
        p = params(page.link(label)["attrs"]["href"])
        assert p == {"q": "ঢাকা", "sort": "newest", "from": lo, "to": hi}


@pytest.mark.parametrize(
    ("utc", "dhaka_day"),
    [
        (datetime(2024, 8, 14, 17, 59, tzinfo=UTC), date(2024, 8, 14)),
        (datetime(2024, 8, 14, 18, 0, tzinfo=UTC), date(2024, 8, 15)),  # midnight in Dhaka
        (datetime(2024, 12, 31, 20, 0, tzinfo=UTC), date(2025, 1, 1)),
    ],
)
def test_today_is_dhakas_today_whatever_the_server_clock(monkeypatch, utc, dhaka_day):
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return utc.astimezone(tz)

    monkeypatch.setattr(months, "datetime", Clock)
    assert months.today_dhaka() == dhaka_day
    assert months.quick_ranges(months.today_dhaka())[3].date_from == date(dhaka_day.year, 1, 1)


# ---------------------------------------------------------------------------------------------
# Results


def test_results_render_with_marks_bangla_dates_and_count(client):
    api = client.get("/api/search", query_string={"q": "বৃষ্টি"}).get_json()
    page = get(client, "/", q="বৃষ্টি")
    # The page calls the same search as the API: the same total, the same first result.
    assert f"{months.bn_number(api['total'])}টি ফলাফল" in page.html
    assert re.search(r"\([০-৯]+ মিলিসেকেন্ড\)|১ মিলিসেকেন্ডের কম", page.html)
    assert "<mark>" in page.html
    first = api["results"][0]
    link = next(a for a in page.links if a["attrs"]["href"].startswith(f"/articles/{first['id']}?"))
    assert params(link["attrs"]["href"]) == {"q": "বৃষ্টি"}
    assert first["title_html"] in page.html  # rendered as is: already escaped, only <mark> added
    stamps = BANGLA_STAMP.findall(page.html)
    assert len(stamps) == len(api["results"])
    assert months.bangla_stamp(first["published"]) == stamps[0]


def test_bangla_stamp_and_numbers():
    assert months.bangla_stamp("2023-09-12T15:01:00+06:00") == "১২ সেপ্টেম্বর ২০২৩, ১৫:০১"
    assert months.bangla_stamp("2023-09-12T09:01:00+00:00") == "১২ সেপ্টেম্বর ২০২৩, ১৫:০১"  # Dhaka time
    assert months.bangla_stamp(None) == ""
    assert [months.bn_number(n) for n in (0, 42, 1000, 123456, 12345678)] == [
        "০",
        "৪২",
        "১,০০০",
        "১,২৩,৪৫৬",
        "১,২৩,৪৫,৬৭৮",
    ]


@pytest.mark.parametrize(
    "q",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "ঢাকা <b>বৃষ্টি</b>",
        "</title><script>alert(1)</script>",
    ],
)
def test_html_in_a_query_is_escaped_everywhere(client, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for raw in ("<script>alert", "<img src=x", "<b>বৃষ্টি", "onerror=alert(1)>"):
        assert raw not in html
    assert "&lt;" in html  # it is shown, escaped: in the input, the title, the empty state
    article = client.get("/articles/0001_1b7861754796836a", query_string={"q": q}).get_data(as_text=True)
    assert "<script>alert" not in article and "<img src=x" not in article


def test_results_without_a_query_list_the_archive_newest_first(client):
    page = get(client, "/")
    assert "আর্কাইভে ১৮টি খবর" in page.html
    stamps = re.findall(r'<time datetime="([^"]+)"', page.html)
    assert stamps == sorted(stamps, reverse=True)


def test_undated_articles_say_so(client):
    page = get(client, "/", sort="oldest", per_page="100")
    assert "তারিখ নেই" in page.html


# ---------------------------------------------------------------------------------------------
# Errors on the form


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"q": "ঢাকা", "from": "৩২ আগস্ট ২০২৪"}, "from", "শুরুর তারিখ “৩২ আগস্ট ২০২৪”"),
        ({"q": "ঢাকা", "to": "কাল"}, "to", "শেষের তারিখ “কাল”"),
        ({"q": "ঢাকা", "from": "2023-02-30"}, "from", "এভাবে লিখুন"),
        ({"from": "2024-05-01", "to": "2024-01-01"}, "from", "অদলবদল"),
        ({"q": "ঢাকা", "sort": "random"}, "sort", "প্রাসঙ্গিকতা, নতুন আগে বা পুরনো আগে"),
    ],
)
def test_a_bad_field_is_explained_in_bangla_next_to_it(client, query, field, words):
    page = get(client, "/", status=400, **query)
    error = page.by_id[f"{field}-error"]
    assert words in error["text"]
    assert error["attrs"]["role"] == "alert"
    field_el = page.by_id[field]
    assert field_el["attrs"]["aria-invalid"] == "true"
    assert field_el["attrs"]["aria-describedby"] == f"{field}-error"
    # Next to the field: right after it in the document, before the next field.
    at = page.order.index(field_el)
    following_ids = [e["attrs"].get("id") for e in page.order[at + 1 :] if e["attrs"].get("id")]
    assert following_ids[0] == f"{field}-error"
    assert page.by_id["q"]["attrs"]["value"] == query.get("q", "")  # the form comes back filled


def test_a_reversed_range_offers_the_swapped_search(client):
    page = get(client, "/", status=400, q="ঢাকা", **{"from": "2024-05-01", "to": "2024-01-01"})
    swap = page.link("অদলবদল করে খুঁজুন")
    assert params(swap["attrs"]["href"]) == {"q": "ঢাকা", "from": "2024-01-01", "to": "2024-05-01"}


@pytest.mark.parametrize(
    "query_string",
    [
        "page=0",
        f"page={MAX_PAGE + 1}",
        "page=%E0%A6%A6%E0%A7%81%E0%A6%87",  # দুই
        "per_page=100000",
        "from=" + "x" * 5000,
        "to=%E0%A7%A7%E0%A7%A8/%E0%A7%A7%E0%A7%A9/2024",  # ১২/১৩/২০২৪: no 13th month
        "q=%00%ED%A0%80%FF",  # NUL, an encoded surrogate, a byte that is not UTF-8
        "desk=%3Ci%3E%E0%A6%A8%E0%A7%87%E0%A6%87%3C/i%3E",
        "q=%22&from=%20&to=%09",
        "from=2024-01-01&from=garbage",
    ],
)
def test_hostile_parameters_answer_200_or_400_with_the_form_never_500(client, query_string):
    response = client.get("/?" + query_string)
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    assert 'id="q"' in html and 'lang="bn"' in html
    assert "<i>" not in html
    if response.status_code == 400:
        assert 'role="alert"' in html and re.search("[\u0980-\u09ff]", html)


def test_a_bad_page_number_says_so_in_bangla(client):
    page = get(client, "/", status=400, q="ঢাকা", page="0")
    assert "পাতা নম্বর" in page.by_id["page-error"]["text"]


# ---------------------------------------------------------------------------------------------
# Pagination, desks, empty results


def test_pagination_links(client):
    first = get(client, "/", q="", per_page="5")  # 18 articles: 4 pages
    current = next(a for a in first.links if a["attrs"].get("aria-current") == "page")
    assert current["text"] == "১"
    numbers = [a["text"] for a in first.links if "page=" in a["attrs"]["href"] and a["text"] in "২৩৪"]
    assert numbers == ["২", "৩", "৪"]
    following = first.link("পরের →")
    assert params(following["attrs"]["href"]) == {"per_page": "5", "page": "2"}
    # No previous page on page 1: a link that says it is disabled, and leads nowhere.
    assert "আগের" not in [a["text"].strip("← ") for a in first.links]
    [previous] = first.dead_links
    assert (previous["text"], previous["attrs"]) == (
        "← আগের",
        {"class": "disabled", "role": "link", "aria-disabled": "true"},
    )

    second = get(client, following["attrs"]["href"])
    assert params(second.link("← আগের")["attrs"]["href"]) == {"per_page": "5"}  # page 1 has no page=
    ids = lambda p: [a["attrs"]["href"] for a in p.links if a["attrs"]["href"].startswith("/articles/")]  # noqa: E731
    assert not set(ids(first)) & set(ids(second))

    last = get(client, "/", per_page="5", page="4")
    assert "পরের →" not in [a["text"] for a in last.links]
    assert [a["text"] for a in last.dead_links] == ["পরের →"]
    assert len(ids(last)) == 18 - 15


def test_page_numbers_window():
    assert pages.page_numbers(1, 1) == [1]
    assert pages.page_numbers(1, 4) == [1, 2, 3, 4]
    assert pages.page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert pages.page_numbers(20, 20) == [1, None, 18, 19, 20]


def test_a_page_past_the_end_says_so(client):
    page = get(client, "/", q="ঢাকা", page="50")
    assert "এই পাতায় আর কোনো ফল নেই" in page.html
    assert params(page.link("প্রথম পাতায় যান")["attrs"]["href"]) == {"q": "ঢাকা"}


def test_desk_facet_links_filter_by_desk(client):
    api = client.get("/api/search", query_string={"q": ""}).get_json()
    page = get(client, "/", q="", sort="oldest")
    for facet in api["facets"]["desk"]:
        link = next(a for a in page.links if params(a["attrs"]["href"]).get("desk") == facet["value"])
        assert params(link["attrs"]["href"]) == {"desk": facet["value"], "sort": "oldest"}
        assert months.bn_number(facet["count"]) in link["text"]
    top = api["facets"]["desk"][0]
    filtered = get(client, "/", desk=top["value"])
    assert f"{months.bn_number(top['count'])}টি ফলাফল" in filtered.html
    assert filtered.by_id["q"] and f'name="desk" value="{top["value"]}"' in filtered.html  # kept on submit
    assert params(filtered.link("সব ডেস্ক")["attrs"]["href"]) == {}


def test_no_results_offers_tips(client):
    page = get(client, "/", q="অস্তিত্বহীনশব্দ", desk="খেলা ডেস্ক")
    assert "কিছু পাওয়া যায়নি" in page.html
    assert params(page.link("সব ডেস্কে খুঁজুন")["attrs"]["href"]) == {"q": "অস্তিত্বহীনশব্দ"}


@pytest.mark.parametrize("q", ["বৃশটি", "বৃষ্টি"])
def test_a_suggestion_is_offered_as_a_link_with_or_without_results(app, client, monkeypatch, q):
    service = app.extensions["sandhan"]
    original = service.search

    def with_suggestion(req):
        answer = original(req)
        answer["suggestion"] = "বৃষ্টি <সংশোধিত>"
        return answer

    monkeypatch.setattr(service, "search", with_suggestion)
    page = get(client, "/", q=q, desk="খেলা ডেস্ক")
    link = page.link("বৃষ্টি <সংশোধিত>")
    assert params(link["attrs"]["href"]) == {"q": "বৃষ্টি <সংশোধিত>", "desk": "খেলা ডেস্ক"}
    assert "<সংশোধিত>" not in page.html  # escaped
    assert "আপনি কি খুঁজছিলেন" in page.html


# ---------------------------------------------------------------------------------------------
# The month chart


def bar_counts(page: Page) -> dict[str, int]:
    """Bar title 'আগস্ট ২০২৪: ৩টি' -> {'আগস্ট ২০২৪': 3}."""
    out = {}
    for bar in page.bars:
        label, count = bar["title"].strip().rsplit(": ", 1)
        out[label] = int(count.removesuffix("টি").translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")))
    return out


def test_month_chart_bars_link_to_month_filters(client):
    page = get(client, "/", q="ঢাকা", sort="newest")
    assert page.chart_links()
    counts = bar_counts(page)
    for bar in page.bars:
        year, month = (int(p) for p in bar["month"].split("-"))
        label = months.month_label(bar["month"])
        assert bar["title"].strip() == f"{label}: {months.bn_number(counts[label])}টি"
        if bar["href"] is None:
            assert counts[label] == 0  # only empty months are not links
            continue
        lo, hi = months.month_bounds(year, month)
        window = {"from": lo.isoformat(), "to": hi.isoformat()}
        assert params(bar["href"]) == {"q": "ঢাকা", "sort": "newest", **window}
        # Following the bar shows exactly the bar's count, and marks the bar as the current one.
        followed = get(client, bar["href"])
        assert f"{months.bn_number(counts[label])}টি ফলাফল" in followed.html
        assert f'class="bar current" data-month="{bar["month"]}"' in followed.html


def test_month_chart_fills_empty_months_between_first_and_last(client):
    api = client.get("/api/search", query_string={"q": ""}).get_json()
    facet = api["facets"]["month"]
    first, last = facet[0]["value"], facet[-1]["value"]
    span = (int(last[:4]) * 12 + int(last[5:])) - (int(first[:4]) * 12 + int(first[5:])) + 1
    page = get(client, "/", q="")
    counts = bar_counts(page)
    assert len(counts) == span <= months.MAX_BARS
    assert sum(counts.values()) == sum(f["count"] for f in facet)
    assert list(counts)[0] == months.month_label(first) and list(counts)[-1] == months.month_label(last)


def test_a_date_window_is_drawn_in_full(client):
    page = get(client, "/", q="", **{"from": "2024-01-01", "to": "2024-12-31"})
    assert list(bar_counts(page)) == [months.month_label(f"2024-{m:02d}") for m in range(1, 13)]


def test_long_spans_are_drawn_by_quarter_then_by_year():
    facet = [{"value": "2021-02", "count": 5}, {"value": "2023-12", "count": 1}]
    assert months.month_chart(facet).by == "month"  # 35 months
    facet.append({"value": "2024-03", "count": 2})
    chart = months.month_chart(facet)  # 38 months: 2021 Q1 .. 2024 Q1
    assert chart.by == "quarter" and len(chart.bars) == 13
    assert (chart.bars[0].label, chart.bars[0].count) == ("জানুয়ারি–মার্চ ২০২১", 5)
    assert (chart.bars[0].date_from, chart.bars[0].date_to) == (date(2021, 1, 1), date(2021, 3, 31))
    assert sum(b.count for b in chart.bars) == 8

    facet = [{"value": "2001-05", "count": 3}, {"value": "2024-01", "count": 2}]
    chart = months.month_chart(facet)
    assert chart.by == "year" and len(chart.bars) == 24
    assert (chart.bars[0].title, chart.bars[0].date_from, chart.bars[0].date_to) == (
        "২০০১: ৩টি",
        date(2001, 1, 1),
        date(2001, 12, 31),
    )
    assert all(b.height == 1.0 for b in chart.bars[1:-1])  # empty years drawn as stubs
    assert months.month_chart([]) is None


def test_chart_geometry_stays_inside_the_viewbox():
    facet = [{"value": f"2022-{m:02d}", "count": m * 7} for m in range(1, 13)]
    chart = months.month_chart(facet)
    tallest = max(chart.bars, key=lambda b: b.count)
    assert tallest.y == months.PLOT_TOP and tallest.y + tallest.height == chart.baseline
    for bar in chart.bars:
        assert 0 <= bar.x and bar.x + bar.width <= chart.width
        assert bar.y + bar.height == pytest.approx(chart.baseline)
    assert all(0 < label.x < chart.width for label in chart.labels)


def stored_months(index_dir) -> Counter:
    """Articles per Dhaka month, read straight from the index's stored fields (not the facet)."""
    ix = open_generation(current_generation(index_dir))
    with ix.searcher() as searcher:
        return Counter(
            datetime.fromisoformat(f["published"]).astimezone(DHAKA).strftime("%Y-%m")
            for f in searcher.all_stored_fields()
            if f.get("published")
        )


def test_month_counts_match_a_direct_count_over_the_index(client, sample_index):
    direct = stored_months(sample_index)
    window = ("2023-09-01", "2024-12-31")
    page = get(client, "/", q="", **{"from": window[0], "to": window[1]})
    shown = bar_counts(page)
    expected = {}
    for i in range(2023 * 12 + 8, 2024 * 12 + 12):
        key = f"{i // 12:04d}-{i % 12 + 1:02d}"
        expected[months.month_label(key)] = direct.get(key, 0)
    assert shown == expected
    assert sum(shown.values()) > 0
    api = client.get("/api/search", query_string={"q": "", "from": window[0], "to": window[1]}).get_json()
    assert {f["value"]: f["count"] for f in api["facets"]["month"]} == {
        k: n for k, n in direct.items() if "2023-09" <= k <= "2024-12"
    }


@pytest.mark.parametrize("q", ["ঢাকা", "বৃষ্টি", "ক্রিকেট"])
def test_month_counts_for_a_word_match_separate_searches_per_month(client, q):
    """Each bar's count (empty months too) equals the total of a search filtered to its month."""
    page = get(client, "/", q=q)
    shown = bar_counts(page)
    assert sum(shown.values()) > 0
    for bar in page.bars:
        lo, hi = months.month_bounds(*(int(p) for p in bar["month"].split("-")))
        window = {"q": q, "from": lo.isoformat(), "to": hi.isoformat(), "per_page": 1}
        total = client.get("/api/search", query_string=window).get_json()["total"]
        assert shown[months.month_label(bar["month"])] == total, bar["month"]


# ---------------------------------------------------------------------------------------------
# The article page


def test_article_page_highlights_the_query_and_links_back(client):
    page = get(client, "/articles/0001_1b7861754796836a", q="বৃষ্টি", **{"from": "2024-01-01"})
    body = page.html.split('class="article-body"', 1)[1]
    assert "<mark>বৃষ্টিতে</mark>" in body
    assert "১৮ জুলাই ২০২৪, ১০:২৫" in page.html
    assert "নিজস্ব প্রতিবেদক" in page.html
    back = next(a for a in page.links if "ফলাফলে ফিরে যান" in a["text"])
    assert back["attrs"]["href"].startswith("/?")
    assert params(back["attrs"]["href"]) == {"q": "বৃষ্টি", "from": "2024-01-01"}
    assert re.search(r"[০-৯]+টি জায়গা", page.html)


def test_article_page_shows_the_update_time(client):
    page = get(client, "/articles/0014_d1b4b4d3c89c737f")
    assert "প্রকাশ:" in page.html and "১৪ জুন ২০২৫, ১০:১০" in page.html
    assert "হালনাগাদ:" in page.html and "১৪ জুন ২০২৫, ১৫:৪৫" in page.html


def test_article_page_without_a_query_marks_nothing(client):
    page = get(client, "/articles/0001_1b7861754796836a")
    assert "<mark>" not in page.html
    assert page.link("← আর্কাইভে খুঁজুন")["attrs"]["href"] == "/"


def test_result_links_carry_the_search_to_the_article_and_back(client):
    page = get(client, "/", q="বৃষ্টি", sort="newest", page="1")
    href = next(a["attrs"]["href"] for a in page.links if a["attrs"]["href"].startswith("/articles/"))
    assert params(href) == {"q": "বৃষ্টি", "sort": "newest", "page": "1"}
    article = get(client, href)
    back = next(a for a in article.links if "ফলাফলে ফিরে যান" in a["text"])
    assert params(back["attrs"]["href"]) == {"q": "বৃষ্টি", "sort": "newest"}


def test_one_table_says_which_parameters_a_search_has_and_the_links_carry_each():
    documented = {p["name"] for p in openapi_document()["paths"]["/api/search"]["get"]["parameters"]}
    assert set(pages.SEARCH_PARAMS) == documented
    assert set(pages.SEARCH_PARAMS.values()) <= {f.name for f in dataclasses.fields(SearchRequest)}
    asked = {
        "q": "ঢাকা",
        "from": "2024-01-01",
        "to": "৩১/১২/২০২৪",
        "desk": "খেলা ডেস্ক",
        "sort": "newest",
        "per_page": "20",
        "page": "3",
        "romanized": "off",
    }
    assert pages.link_args(asked) == {**asked, "to": "2024-12-31"}  # each as the server read it


def test_the_article_page_and_its_json_share_one_route(app):
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert rules["pages.article"].startswith(ARTICLE_PATH)
    assert rules["api.article"] == "/api" + rules["pages.article"]


def test_unknown_article_is_a_bangla_404(client):
    response = client.get("/articles/নেই-এমন-খবর")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="bn"' in html and "৪০৪" in html and "পাওয়া যায়নি" in html
    assert "এই খবরটি আর্কাইভে পাওয়া যায়নি" in unescape(html)
    assert 'id="q"' in html  # a way on: search from the error page


# ---------------------------------------------------------------------------------------------
# Long requests: a page repeats at most what was searched


HUGE_QUERY = "ঢাকা " * 5_400 + "লেজেরশব্দ"  # 200 KB in a URL; the cut keeps the first 1,000 characters


def test_a_200_kb_query_gives_the_page_of_the_query_that_was_searched(live_server):
    response = requests.get(live_server.url + "/", params={"q": HUGE_QUERY}, timeout=30)
    assert response.status_code == 200
    assert len(response.request.url) > 199_000
    searched = HUGE_QUERY[:MAX_QUERY_CHARS]
    page = Page(response.text)
    assert "লেজেরশব্দ" not in response.text
    assert page.by_id["q"]["attrs"]["value"] == searched
    with_q = [params(a["attrs"]["href"])["q"] for a in page.links if "q" in params(a["attrs"]["href"])]
    assert len(with_q) > 20 and set(with_q) == {searched}
    # The same page as for the cut query itself: its size does not grow with the request's. Each
    # link that keeps a 1,000-character Bangla query holds 9 KB of it, percent-encoded.
    capped = requests.get(live_server.url + "/", params={"q": searched}, timeout=30)
    assert abs(len(response.content) - len(capped.content)) < 100  # took_ms differs
    assert len(response.content) < 400_000


def test_the_article_page_repeats_only_the_searched_query(live_server):
    response = requests.get(
        live_server.url + "/articles/0001_1b7861754796836a", params={"q": HUGE_QUERY}, timeout=30
    )
    assert response.status_code == 200
    assert "লেজেরশব্দ" not in response.text
    assert len(response.content) < 100_000


def test_a_desk_longer_than_any_desk_is_refused_in_a_small_page(live_server):
    response = requests.get(live_server.url + "/", params={"q": "ঢাকা", "desk": "ক" * 20_000}, timeout=30)
    assert response.status_code == 400
    assert len(response.content) < 50_000
    assert "ডেস্কের নাম" in Page(response.text).by_id["desk-error"]["text"]
    api = requests.get(
        live_server.url + "/api/search", params={"desk": "ক" * (MAX_DESK_CHARS + 1)}, timeout=10
    )
    assert api.status_code == 400 and api.json()["error"]["parameter"] == "desk"


def test_the_api_answer_repeats_the_query_as_searched(live_server):
    body = requests.get(live_server.url + "/api/search", params={"q": HUGE_QUERY}, timeout=30).json()
    assert body["query"] == HUGE_QUERY[:MAX_QUERY_CHARS]
    body = requests.get(live_server.url + "/api/search", params={"q": "ঢাকা\x00খুলনা\x1f"}, timeout=10).json()
    assert body["query"] == "ঢাকা খুলনা "


@pytest.mark.parametrize("path", ["/?q=ঢাকা", "/api/search?q=ঢাকা", "/articles/0001_1b7861754796836a"])
@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_pages_and_json_go_out_compressed_to_clients_that_accept_it(client, path, encoding):
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    packed = client.get(path, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    unpacked = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}[encoding]
    text = unpacked(packed.get_data()).decode()
    # The same document (a search's took_ms may differ by a digit or two).
    assert abs(len(text) - len(plain.get_data(as_text=True))) < 10
    assert len(packed.get_data()) < len(plain.get_data()) / 2


def test_a_romanized_reading_is_said_with_a_link_to_search_the_text_as_typed(client):
    page = get(client, "/", q="dhaka brishti", sort="newest")
    line = page.order[[e.get("attrs", {}).get("class") for e in page.order].index("interpreted")]
    assert "খোঁজা হলো: ঢাকা বৃষ্টি" in line["text"]
    as_typed = page.link("লেখা যেমন, তেমন খুঁজুন")
    assert params(as_typed["attrs"]["href"]) == {"q": "dhaka brishti", "sort": "newest", "romanized": "off"}

    typed = get(client, as_typed["attrs"]["href"])
    assert "খোঁজা হলো:" not in typed.html and "০টি ফলাফল" in typed.html
    back = typed.link("ইংরেজি হরফের শব্দ বাংলায় পড়ে খুঁজুন")
    assert params(back["attrs"]["href"]) == {"q": "dhaka brishti", "sort": "newest"}
    # The search as typed is carried by the other links (dates, desks, pages), like any parameter.
    carried = [a for a in typed.links if "q=" in a["attrs"]["href"] and a is not back]
    assert carried and all(params(a["attrs"]["href"])["romanized"] == "off" for a in carried)


def test_a_bad_romanized_value_is_a_bangla_400(client):
    page = get(client, "/", status=400, q="dhaka", romanized="maybe")
    assert "on বা off" in page.html


# ---------------------------------------------------------------------------------------------
# Dates typed in the query, and in the date fields


def date_reading_line(page: Page) -> dict | None:
    """The line under the search box that says what date was read from the query."""
    return next((e for e in page.order if e["attrs"].get("class") == "date-reading"), None)


@pytest.mark.parametrize(
    ("date_from", "date_to", "label"),
    [
        (date(2023, 9, 5), date(2023, 9, 5), "০৫ সেপ্টেম্বর ২০২৩"),  # one day
        (date(2024, 8, 12), date(2024, 8, 18), "১২–১৮ আগস্ট ২০২৪"),  # days of one month
        (date(2024, 8, 1), date(2024, 8, 31), "আগস্ট ২০২৪"),  # a whole month
        (date(2024, 2, 1), date(2024, 2, 29), "ফেব্রুয়ারি ২০২৪"),  # a whole February of a leap year
        (date(2024, 8, 1), date(2024, 10, 31), "আগস্ট–অক্টোবর ২০২৪"),  # whole months of one year
        (date(2024, 1, 1), date(2024, 12, 31), "২০২৪ সাল"),  # a whole year
        (date(2023, 11, 1), date(2024, 2, 29), "নভেম্বর ২০২৩ – ফেব্রুয়ারি ২০২৪"),  # months across years
        (date(2024, 8, 30), date(2024, 9, 5), "৩০ আগস্ট ২০২৪ – ০৫ সেপ্টেম্বর ২০২৪"),  # across months
        (date(2023, 12, 30), date(2024, 1, 2), "৩০ ডিসেম্বর ২০২৩ – ০২ জানুয়ারি ২০২৪"),  # across years
        (date(2024, 8, 1), date(2024, 8, 30), "০১–৩০ আগস্ট ২০২৪"),  # a month but its last day
    ],
)
def test_a_date_window_in_bangla(date_from, date_to, label):
    assert months.window_label(date_from, date_to) == label


def test_an_applied_date_is_said_under_the_box_with_a_one_click_undo(client):
    q = "বৃষ্টি ২০–২৫ সেপ্টেম্বর ২০২৩"
    page = get(client, "/", q=q, sort="newest")
    line = date_reading_line(page)
    assert " ".join(line["text"].split()) == "সময়: ২০–২৫ সেপ্টেম্বর ২০২৩ (প্রশ্ন থেকে পড়া) · শব্দ হিসেবে খুঁজুন"
    # Under the search box: after the box, before the results.
    where = page.order.index
    assert where(page.by_id["q"]) < where(line) < where(page.by_id["results"])
    # The fields stay empty: filled, they would win over the reading when the form is sent again.
    assert page.by_id["from"]["attrs"]["value"] == page.by_id["to"]["attrs"]["value"] == ""
    assert 'name="dates"' not in page.html
    api = client.get("/api/search", query_string={"q": q, "sort": "newest"}).get_json()
    assert api["date_reading"]["applied"] and f"{months.bn_number(api['total'])}টি ফলাফল" in page.html

    undo = page.link("শব্দ হিসেবে খুঁজুন")["attrs"]["href"]
    assert params(undo) == {"q": q, "sort": "newest", "dates": "off"}
    undone = client.get("/api/search", query_string=params(undo)).get_json()
    assert undone["date_reading"] is None and undone["total"] > api["total"]
    # The undone page says so, keeps `dates=off` when the form is sent again, and reads the date
    # again with one click.
    page = get(client, undo)
    assert "প্রশ্নের তারিখ শব্দ হিসেবে খোঁজা হলো।" in date_reading_line(page)["text"]
    assert '<input type="hidden" name="dates" value="off">' in page.html
    assert params(page.link("সময় হিসেবে পড়ুন")["attrs"]["href"]) == {"q": q, "sort": "newest"}
    assert f"{months.bn_number(undone['total'])}টি ফলাফল" in page.html


@pytest.mark.parametrize(
    ("q", "today", "offered"),
    [
        ("বৃষ্টি ২০২৪ সালের", date(2026, 12, 6), "২০২৪ সাল"),  # a bare year
        ("ঢাকা ১৫ ফেব্রুয়ারি", date(2024, 3, 1), "১৫ ফেব্রুয়ারি ২০২৪"),  # a day and month: the last one
    ],
)
def test_an_offered_reading_is_a_one_click_filter(app, client, q, today, offered):
    app.extensions["sandhan"].today = lambda: today
    page = get(client, "/", q=q)
    link = page.link(f"সময় হিসেবে পড়ুন: {offered}")
    assert "(প্রশ্ন থেকে পড়া)" not in date_reading_line(page)["text"]
    assert params(link["attrs"]["href"]) == {"q": q, "dates": "on"}
    applied = get(client, link["attrs"]["href"])
    assert f"সময়: {offered} (প্রশ্ন থেকে পড়া)" in " ".join(date_reading_line(applied)["text"].split())
    answer = client.get("/api/search", query_string=params(link["attrs"]["href"])).get_json()
    reading = answer["date_reading"]
    as_words = client.get("/api/search", query_string={"q": q}).get_json()
    assert reading["applied"] and 0 < answer["total"] < as_words["total"]
    assert all(reading["from"] <= r["published"][:10] <= reading["to"] for r in answer["results"])
    # Applied on a click, it stays applied when the form is sent again (a new sort order).
    assert '<input type="hidden" name="dates" value="on">' in applied.html


def test_explicit_dates_win_and_the_reading_is_offered_without_them(client):
    q = "বৃষ্টি সেপ্টেম্বর ২০২৩"
    page = get(client, "/", q=q, **{"from": "2023-01-01", "to": "2024-12-31"})
    link = page.link("সময় হিসেবে পড়ুন: সেপ্টেম্বর ২০২৩")
    assert page.by_id["from"]["attrs"]["value"] == "০১/০১/২০২৩"
    # The fields would win over the reading: the link leaves them out.
    assert params(link["attrs"]["href"]) == {"q": q, "dates": "on"}
    answer = client.get("/api/search", query_string=params(link["attrs"]["href"])).get_json()
    window = {"from": "2023-09-01", "to": "2023-09-30"}
    assert answer["date_reading"] == {"text": "সেপ্টেম্বর ২০২৩", **window, "applied": True}


def test_the_chart_draws_a_window_read_from_the_query_in_full(client):
    page = get(client, "/", q="বৃষ্টি জুলাই থেকে অক্টোবর ২০২৩")
    assert [b["month"] for b in page.bars] == ["2023-07", "2023-08", "2023-09", "2023-10"]
    assert page.bars[0]["href"] is None  # July: no rain in the sample pages


@pytest.mark.parametrize("typed", ["১২/০৯/২০২৩", "১২ সেপ্টেম্বর ২০২৩", "12/09/2023", "2023-09-12"])
def test_dates_typed_in_bangla_in_the_date_fields_are_read(client, typed):
    expected = client.get("/api/search", query_string={"q": "ঢাকা", "from": "2023-09-12"}).get_json()["total"]
    assert 0 < expected < client.get("/api/search", query_string={"q": "ঢাকা"}).get_json()["total"]
    page = get(client, "/", q="ঢাকা", **{"from": typed})
    assert f"{months.bn_number(expected)}টি ফলাফল" in page.html
    # Shown back in Bangla digits, day first; carried by the links in ISO form.
    assert page.by_id["from"]["attrs"]["value"] == "১২/০৯/২০২৩"
    assert "তারিখ: ১২ সেপ্টেম্বর ২০২৩ – এখন পর্যন্ত" in page.html
    assert params(page.link("সব সময়")["attrs"]["href"]) == {"q": "ঢাকা"}


def test_a_refused_date_is_shown_as_typed_to_be_mended(client):
    page = get(client, "/", status=400, q="ঢাকা", **{"from": "৩১/০২/২০২৪", "to": "১০/০৩/২০২৪"})
    assert page.by_id["from"]["attrs"]["value"] == "৩১/০২/২০২৪"
    assert page.by_id["to"]["attrs"]["value"] == "১০/০৩/২০২৪"
    assert "শুরুর তারিখ “৩১/০২/২০২৪”" in page.by_id["from-error"]["text"]


def test_a_bad_dates_value_is_a_bangla_400(client):
    page = get(client, "/", status=400, q="ঢাকা", dates="sometimes")
    assert "auto, on বা off" in page.by_id["dates-error"]["text"]
    assert 'name="dates"' not in page.html  # the refused value is not carried
