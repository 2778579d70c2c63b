"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) against
a real `sandhan serve`: type a Bangla query, see marks, narrow by date, open an article, and check
that Bangla is drawn with a Bangla font, with no request to another host and no console error.

The screenshots in docs/ come from the richer shared corpus; regenerate them with
    SANDHAN_DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_browser.py -k docs
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import LiveServer  # the class behind the live_server fixture, for the docs index
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[1] / "docs"
BANGLA_FONT = "Noto Sans Bengali"  # from fonts-noto-core, which scripts/system-deps.sh installs


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Chromium and the Bangla font with "
            "`bash scripts/system-deps.sh browser` (`make test` runs it)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Watched:
    """A browser page that records what must not happen: script errors, console errors (a CSP
    violation is one) and requests to any host but ours."""

    def __init__(self, browser: Browser, base_url: str, **context_options):
        self.base_url = base_url
        self.problems: list[str] = []
        self.expected_failures: list[str] = []  # URLs a test loads on purpose to see a 400 or 404
        options = {"viewport": {"width": 1280, "height": 900}, "locale": "bn-BD", "timezone_id": "Asia/Dhaka"}
        self.context = browser.new_context(base_url=base_url, **{**options, **context_options})
        self.context.route("**/*", self._only_ours)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        self.page.on("console", self._console)

    def _only_ours(self, route):
        if route.request.url.startswith(self.base_url + "/"):
            route.continue_()
        else:
            self.problems.append(f"request to another host: {route.request.url}")
            route.abort()

    def _console(self, message):
        if message.type != "error":
            return
        # The suggest endpoint may not exist yet: the script asks once, gets a 404 and stops.
        url = (message.location or {}).get("url", "")
        if "/api/suggest" in url or any(url.startswith(self.base_url + u) for u in self.expected_failures):
            return
        self.problems.append(f"console error: {message.text} at {message.location}")

    def close(self):
        self.context.close()
        assert not self.problems, self.problems


@pytest.fixture
def watched(browser, live_server):
    w = Watched(browser, live_server.url)
    yield w
    w.close()


def query_of(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def platform_fonts(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium really drew the element's text with: family -> glyph count (DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def assert_bangla_font(page: Page, selector: str) -> None:
    assert page.evaluate(f"document.fonts.check('16px \"{BANGLA_FONT}\"')")
    fonts = platform_fonts(page, selector)
    # All glyphs but punctuation and digits from the Bangla font: no tofu, no fallback font.
    assert max(fonts, key=fonts.get) == BANGLA_FONT, fonts


def summary_count(page: Page) -> int:
    text = page.locator("#results-heading").inner_text()
    m = re.match(r"([০-৯,]+)টি ফলাফল", text)
    assert m, text
    return int(m.group(1).replace(",", "").translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")))


def test_search_narrow_by_date_and_read_an_article(watched, tmp_path):
    page = watched.page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    box = page.get_by_label("আর্কাইভে খবর খুঁজুন")
    # Real key presses: the suggest script runs too, and asks once past its debounce.
    with page.expect_request(lambda request: "/api/suggest?q=" in request.url):
        box.press_sequentially("বৃষ্টি", delay=40)
    box.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    assert query_of(page)["q"] == "বৃষ্টি"

    results = page.locator("li.result")
    expect(results.first).to_be_visible()
    assert page.locator("li.result mark").count() > 0
    expect(page.locator("li.result mark").first).to_have_css("background-color", "rgb(255, 233, 138)")
    total = summary_count(page)
    assert total >= results.count() > 0
    stamp = results.first.locator("time").inner_text()
    assert re.fullmatch(r"[০-৯]{2} \S+ [০-৯]{4}, [০-৯]{2}:[০-৯]{2}", stamp), stamp
    expect(page.locator("figure.month-chart svg.bars")).to_be_visible()
    assert_bangla_font(page, "li.result h3 a")
    assert_bangla_font(page, "li.result .snippet")
    page.screenshot(path=tmp_path / "results.png", full_page=True)

    # Narrow to 2024 with the date inputs and the form's own button.
    page.get_by_label("শুরুর তারিখ").fill("2024-01-01")
    page.get_by_label("শেষের তারিখ").fill("2024-12-31")
    page.get_by_role("button", name="প্রয়োগ করুন").click()
    page.wait_for_url(re.compile(r"from=2024-01-01"))
    # Only the parameters that are set: no sort=relevance, the default.
    assert urlsplit(page.url).query.count("=") == 3
    assert query_of(page) == {"q": "বৃষ্টি", "from": "2024-01-01", "to": "2024-12-31"}
    narrowed = summary_count(page)
    assert 0 < narrowed < total
    for stamp in page.locator("li.result time").evaluate_all("els => els.map(e => e.dateTime)"):
        assert stamp.startswith("2024-"), stamp
    # The window is drawn in full: twelve bars, each a month of 2024.
    assert page.locator("svg [data-month^='2024-']").count() == 12
    page.screenshot(path=tmp_path / "results-2024.png", full_page=True)

    # Follow the first result to its article: the query's words are marked there too.
    first = results.first.locator("h3 a")
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/articles/"))
    expect(page.locator("article h1")).to_have_text(title)
    assert page.locator(".article-body mark").count() > 0
    expect(page.locator("article .meta")).to_contain_text("প্রকাশ:")
    assert_bangla_font(page, ".article-body p")
    page.screenshot(path=tmp_path / "article.png", full_page=True)

    page.get_by_role("link", name=re.compile("ফলাফলে ফিরে যান")).first.click()
    page.wait_for_url(re.compile(r"/\?"))
    assert query_of(page) == {"q": "বৃষ্টি", "from": "2024-01-01", "to": "2024-12-31"}
    assert summary_count(page) == narrowed
    assert all(p.stat().st_size > 10_000 for p in tmp_path.glob("*.png"))


def test_bangla_dates_typed_in_the_fields_and_in_the_query(watched):
    page = watched.page
    page.goto("/?q=ঢাকা")
    total = summary_count(page)
    # Typed key by key as a Bangla keyboard would, day first; Enter in a field sends the form.
    page.get_by_label("শুরুর তারিখ").press_sequentially("০১/০১/২০২৪")
    page.get_by_label("শেষের তারিখ").press_sequentially("৩১ ডিসেম্বর ২০২৪")
    page.get_by_label("শেষের তারিখ").press("Enter")
    page.wait_for_url(re.compile(r"from="))
    assert query_of(page) == {"q": "ঢাকা", "from": "০১/০১/২০২৪", "to": "৩১ ডিসেম্বর ২০২৪"}
    assert 0 < summary_count(page) < total
    for stamp in page.locator("li.result time").evaluate_all("els => els.map(e => e.dateTime)"):
        assert stamp.startswith("2024-"), stamp
    expect(page.get_by_label("শুরুর তারিখ")).to_have_value("০১/০১/২০২৪")
    expect(page.get_by_label("শেষের তারিখ")).to_have_value("৩১/১২/২০২৪")

    # A date typed in the query is said under the box; one click searches its words instead.
    page.goto("/?q=বৃষ্টি সেপ্টেম্বর ২০২৩")
    expect(page.locator(".date-reading")).to_contain_text("সময়: সেপ্টেম্বর ২০২৩ (প্রশ্ন থেকে পড়া)")
    read = summary_count(page)
    page.get_by_role("link", name="শব্দ হিসেবে খুঁজুন").click()
    page.wait_for_url(re.compile(r"dates=off"))
    assert summary_count(page) > read
    expect(page.get_by_label("শুরুর তারিখ")).to_have_value("")


def test_a_chart_bar_and_a_desk_narrow_the_search(watched):
    page = watched.page
    page.goto("/?q=ঢাকা")
    total = summary_count(page)
    bar = page.locator("figure.month-chart a.bar").first
    month = bar.get_attribute("data-month")
    bar.click()
    page.wait_for_url(re.compile(r"from="))
    params = query_of(page)
    assert params["q"] == "ঢাকা" and params["from"] == f"{month}-01"
    assert date.fromisoformat(params["to"]).month == int(month[5:])
    assert 0 < summary_count(page) <= total
    expect(page.locator(f"a.bar.current[data-month='{month}']")).to_have_count(1)

    page.goto("/?q=ঢাকা")
    desk = page.locator(".facets .facet-list a").first
    name = desk.locator(".facet-name").inner_text()
    desk.click()
    page.wait_for_url(re.compile(r"desk="))
    assert query_of(page)["desk"] == name
    for shown in page.locator("li.result .desk").all_inner_texts():
        assert shown == name


def test_sort_order_applies_on_enter_not_on_arrow_keys_and_slash_focuses_the_box(watched):
    page = watched.page
    page.goto("/?q=ঢাকা")
    # A submission would be recorded here, across the page it leads to.
    page.evaluate(
        "document.getElementById('search').addEventListener('submit',"
        " () => sessionStorage.setItem('submitted', location.search))"
    )
    sort = page.get_by_label("সাজানো")
    sort.focus()
    page.keyboard.press("ArrowDown")  # steps to the next option, and no further
    expect(sort).to_have_value("newest")
    assert page.evaluate("sessionStorage.getItem('submitted')") is None
    assert "sort=" not in page.url
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=newest"))
    stamps = page.locator("li.result time").evaluate_all("els => els.map(e => e.dateTime)")
    assert stamps == sorted(stamps, reverse=True)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_keyboard_reaches_the_form_with_a_visible_focus(watched):
    page = watched.page
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "মূল অংশে যান"]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("ক্রিকেট")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q="))
    assert page.locator("li.result").count() > 0


def test_it_works_without_javascript(browser, live_server):
    w = Watched(browser, live_server.url, java_script_enabled=False)
    page = w.page
    page.goto("/")
    page.get_by_label("আর্কাইভে খবর খুঁজুন").fill("ক্রিকেট")
    page.get_by_label("সাজানো").select_option("oldest")
    page.get_by_role("button", name="খুঁজুন", exact=True).click()
    page.wait_for_url(re.compile(r"q="))
    assert query_of(page) == {"q": "ক্রিকেট", "sort": "oldest"}  # (the empty dates are dropped)
    assert page.locator("li.result mark").count() > 0
    w.close()


def test_a_bad_date_is_explained_next_to_the_field(watched):
    page = watched.page
    watched.expected_failures.append("/?q=")
    response = page.goto("/?q=ঢাকা&from=৩২ আগস্ট ২০২৪")
    assert response.status == 400
    error = page.locator("#from-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("শুরুর তারিখ")
    expect(page.get_by_label("শুরুর তারিখ")).to_have_attribute("aria-invalid", "true")


WIDER_THAN_SCREEN = """
[...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > 390.5)
  .filter(e => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return false;
    }
    return true;
  })
  .map(e => e.tagName + '.' + e.className)
"""


def test_readable_on_a_phone(browser, live_server, tmp_path):
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    w = Watched(browser, live_server.url, **phone)
    page = w.page
    pages = (("/?q=বৃষ্টি", ".snippet"), ("/articles/0001_1b7861754796836a?q=বৃষ্টি", ".article-body p"))
    for path, text in pages:
        page.goto(path)
        # Measured against the device's 390px: a phone browser zooms out to fit a wider page, which
        # would widen window.innerWidth along with it.
        overflow = page.evaluate("document.documentElement.scrollWidth - 390")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        size = page.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{text}')).fontSize)")
        assert size >= 15, f"{text} on {path} is {size}px"
        # Nothing sticks out of the screen either (a chart, a long word), except inside a row
        # made to scroll sideways (the desks).
        sticking_out = page.evaluate(WIDER_THAN_SCREEN)
        assert not sticking_out, f"{path}: {sticking_out} reach past a 390px screen"
    page.screenshot(path=tmp_path / "phone-article.png", full_page=True)
    w.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The pages an audit walks through, over the sample articles.
AUDITED = {
    "home": "/",
    "results": "/?q=বৃষ্টি",
    "romanized, dated": "/?q=brishti&from=2023-01-01&to=2024-12-31",
    "empty": "/?q=মহাকাশযান",
    "date read": "/?q=বৃষ্টি সেপ্টেম্বর ২০২৩",
    "article": "/articles/0001_1b7861754796836a?q=বৃষ্টি",
}


def open_folds(page: Page) -> None:
    """Tap open what a phone shows folded (filters and desks, the chart)."""
    for fold in page.locator("details.fold").all():
        if fold.get_attribute("open") is None:
            fold.locator("> summary").tap()
            expect(fold).to_have_attribute("open", "")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_no_accessibility_violations(browser, live_server, screen):
    """axe-core (the copy axe-playwright-python carries) finds nothing on the audited pages, at
    1280px and on a 390px phone, folds closed and opened."""
    w = Watched(browser, live_server.url, **(PHONE if screen == "phone" else {}))
    axe = Axe()
    for name, path in AUDITED.items():
        w.page.goto(path)
        states = ["as loaded"]
        if w.page.locator("details.fold:not([open])").count():
            states.append("folds opened")
        for state in states:
            if state == "folds opened":
                open_folds(w.page)
            found = axe.run(w.page)
            assert found.violations_count == 0, f"{name} ({path}, {state}):\n{found.generate_report()}"
    w.close()


def test_results_come_first_on_a_phone(browser, live_server):
    w = Watched(browser, live_server.url, **PHONE)
    page = w.page
    for path in (AUDITED["results"], AUDITED["romanized, dated"]):
        page.goto(path)
        # The first result's headline is on the first screen, the filters and chart folded above it.
        title = page.locator("li.result h3").first.bounding_box()
        assert title["y"] + title["height"] <= 844, f"{path}: first result ends at {title}"
        expect(page.get_by_label("শুরুর তারিখ")).to_be_hidden()
        open_folds(page)
        expect(page.get_by_label("শুরুর তারিখ")).to_be_visible()
        # Desk chips wrap inside the screen; none is cut.
        for chip in page.locator(".facet-list a").all():
            if chip.is_visible():
                box = chip.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        # The chart's counts are a list of rows on a phone, each a target well over 24px.
        expect(page.locator("svg.bars")).to_be_hidden()
        rows = page.locator(".month-list a")
        assert rows.count() > 0
        for row in rows.all():
            box = row.bounding_box()
            assert box["height"] >= 24 and box["width"] >= 24, box
        # Words for fingers, not a mouse.
        assert "ক্লিক" not in page.locator("body").inner_text()
    w.close()


def test_the_first_result_is_a_few_tab_presses_away(watched):
    page = watched.page
    page.goto("/?q=ঢাকা")
    first_result = "document.activeElement.closest('li.result h3') !== null"
    presses = 0
    while presses < 10 and not page.evaluate(first_result):
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.textContent") == "ফলাফলে যান":
            page.keyboard.press("Enter")  # the skip link: focus moves to the results
    assert page.evaluate(first_result), f"not reached in {presses} presses of Tab"
    assert presses == 3  # past "মূল অংশে যান" to "ফলাফলে যান", Enter, then the first headline
    expect(page.locator("li.result h3 a").first).to_be_focused()


def test_unknown_article_page(watched):
    page = watched.page
    watched.expected_failures.append("/articles/no-such-article")
    response = page.goto("/articles/no-such-article")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("পাওয়া যায়নি")
    assert_bangla_font(page, "h1")


# ---------------------------------------------------------------------------------------------
# docs/ screenshots, from a richer index than the samples


def test_docs_screenshots(browser, corpus_index, tmp_path):
    """The README's screenshots, over the shared corpus: written to a temporary folder, or to
    docs/ when SANDHAN_DOCS_SCREENSHOTS=1."""
    out = DOCS if os.environ.get("SANDHAN_DOCS_SCREENSHOTS") == "1" else tmp_path
    server = LiveServer(corpus_index).start()
    try:
        w = Watched(browser, server.url, viewport={"width": 1280, "height": 1180})
        page = w.page
        page.goto("/?q=বৃষ্টি&from=2024-01-01&to=2025-12-31")
        assert page.locator("li.result mark").count() > 0
        assert page.locator("figure.month-chart a.bar").count() > 0
        page.screenshot(path=out / "screenshot-results.png")
        # A date typed in the query, said under the box with its undo.
        page.goto("/?q=বন্যা আগস্ট ২০২৪")
        expect(page.locator(".date-reading")).to_contain_text("সময়: আগস্ট ২০২৪ (প্রশ্ন থেকে পড়া)")
        top = {"x": 0, "y": 0, "width": 1280, "height": 760}
        page.screenshot(path=out / "screenshot-dates.png", clip=top)
        page.locator("li.result h3 a").first.click()
        page.wait_for_url(re.compile(r"/articles/"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=out / "screenshot-article.png")
        w.close()

        phone = Watched(browser, server.url, **PHONE)
        phone.page.goto("/?q=ক্রিকেট")
        assert phone.page.locator("li.result h3").first.bounding_box()["y"] < 844
        phone.page.screenshot(path=out / "screenshot-phone.png")
        # The same page with its folds tapped open: filters, desks and the month list.
        phone.page.goto("/?q=brishti&from=2024-01-01&to=2024-12-31")
        phone.page.reload()  # the first romanized query of a server builds its vocabulary: seconds
        open_folds(phone.page)
        phone.page.screenshot(
            path=out / "screenshot-phone-filters.png",
            full_page=True,
            clip={"x": 0, "y": 0, "width": 390, "height": 1800},
        )
        phone.close()
    finally:
        server.stop()
