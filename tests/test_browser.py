"""Browser tests of the built site in headless Chromium (Playwright driving Debian's chromium).

The site is the one built by tests/test_site.py (``built_site``, once per session), read both ways
a reader reads it: served over HTTP on 127.0.0.1, and opened straight from disk (file://), on a
desktop and on a 390 px phone, in light and dark.  Skipped, with the reason, only when no
Chromium is installed.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sitebuild import PROBLEMS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Debian's /usr/bin/chromium, else another Chromium or Chrome on PATH."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="module")
def server(built_site):
    """Serve the built site over HTTP on 127.0.0.1; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, or a skip saying none is installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium); browser tests need one")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser, *, scheme="light", width=1280, height=900):
    """A fresh page that records console errors and every request's scheme and host."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.origins = set()
    page.on(
        "console",
        lambda msg: page.errors.append(f"console {msg.type}: {msg.text}")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: page.errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: page.errors.append(f"request failed: {req.url}"))
    page.on("request", lambda req: page.origins.add((urlsplit(req.url).scheme, urlsplit(req.url).hostname)))
    return context, page


@pytest.fixture
def page(browser, server):
    """A fresh light-mode desktop page (HTTP)."""
    context, page = _context(browser)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A fresh 390 px wide page, as on a phone."""
    context, page = _context(browser, width=390, height=844)
    yield page
    context.close()


@pytest.fixture
def dark(browser):
    """A fresh desktop page whose system preference is dark."""
    context, page = _context(browser, scheme="dark")
    yield page
    context.close()


@pytest.fixture(scope="module")
def disk(built_site):
    """The built site as a reader who unzipped it sees it: a file:// URL of its folder."""
    return built_site.site.resolve().as_uri() + "/"


def open_page(page, url: str) -> None:
    """Go to ``url`` and wait until it and its images have loaded."""
    response = page.goto(url, wait_until="load")
    if url.startswith("http"):
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")


def broken_images(page) -> list[str]:
    """``src`` of every <img> on the page that has not loaded (naturalWidth 0)."""
    return page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )


PAGES = ["index.html", "data.html", "generated/problems/index.html"]
PAGES += ["generated/problems/mg_execution_times.html"]
PAGES += [f"generated/problems/{stem}.html" for stem in PROBLEMS]
PAGES += ["reference/index.html", "reference/dataset.html"]


@pytest.mark.parametrize("where", ["http", "disk"])
def test_pages_load_cleanly(page, server, disk, where):
    """Every page loads with no console error, all its images, and nothing from another host;
    no printed-output block of a problem re-wraps its lines (white-space pre: long lines scroll)."""
    base = server if where == "http" else disk
    for url in PAGES:
        open_page(page, base + url)
        assert page.locator("article h1").count() >= 1, f"{url}: no title"
        assert broken_images(page) == [], f"{url}: images not loaded"
        if url.startswith("generated/problems/plot_"):
            assert page.locator("article img").count() > 0, f"{url}: no figures"
            spaces = page.eval_on_selector_all(
                ".mkd-glr-script-out-disp code", "cs => cs.map(c => getComputedStyle(c).whiteSpace)"
            )
            assert spaces and set(spaces) == {"pre"}, f"{url}: {spaces}"
    assert page.errors == []
    allowed = {("http", "127.0.0.1")} if where == "http" else {("file", None), ("file", "")}
    assert page.origins <= allowed | {("data", None), ("data", ""), ("blob", None), ("blob", "")}, (
        f"requests that left the site: {page.origins - allowed}"
    )


def test_navigation_reaches_a_problem(page, server):
    """Clicking a problem in the navigation opens its page."""
    open_page(page, server)
    last = PROBLEMS[-1]
    link = page.locator(f"nav.md-nav--primary a[href$='generated/problems/{last}.html']").first
    title = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(rf".*/generated/problems/{last}\.html$"))
    assert page.locator("article h1").first.inner_text().strip().startswith(title[:20])
    assert page.errors == []


def test_from_disk_home_links_open_every_problem(page, disk):
    """Opened from disk, the home page's table links open each problem page, not a folder listing."""
    for stem in PROBLEMS:
        open_page(page, disk + "index.html")
        page.locator(f"article table a[href$='{stem}.html']").first.click()
        page.wait_for_url(re.compile(rf".*/generated/problems/{stem}\.html$"))
        assert page.locator("article h1").first.inner_text().startswith("Problem")
        assert page.locator("article img").count() > 0
        # the sidebar and footer links name files too (a folder URL would open a listing)
        hrefs = page.eval_on_selector_all("nav a[href], footer a[href]", "as => as.map(a => a.href)")
        folders = [h for h in hrefs if h.startswith("file:") and h.split("#")[0].endswith("/")]
        assert folders == [], f"{stem}: links to folders from disk: {folders[:5]}"
    assert page.errors == []


@pytest.mark.parametrize("where", ["http", "disk"])
def test_search_finds_overlap(page, server, disk, where):
    """Typing a word in the search box lists matching pages, over HTTP and from disk."""
    open_page(page, (server if where == "http" else disk) + "index.html")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("overlap", delay=30)  # material listens to key events
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=15_000)
    assert results.count() > 0
    text = page.locator(".md-search-result").inner_text()
    assert "overlap" in text.lower()
    assert "download the full example code" not in text.lower()
    assert page.errors == []


@pytest.mark.parametrize("where", ["http", "disk"])
def test_dark_mode_toggle(page, server, disk, where):
    """The palette toggle switches the colour scheme to dark (slate) and back."""
    open_page(page, (server if where == "http" else disk) + "index.html")

    def scheme() -> str:
        return page.evaluate("document.body.getAttribute('data-md-color-scheme')")

    def background() -> str:
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert scheme() == "default"
    light = background()
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert background() != light
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert page.errors == []


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dark_mode_buttons_reach_wcag_aa(dark, disk):
    """In dark mode the download buttons' text contrasts at least 4.5:1 with the page."""
    stem = PROBLEMS[0]
    open_page(dark, disk + f"generated/problems/{stem}.html")
    assert dark.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    button = dark.locator("a.md-button").first
    fg = button.evaluate("b => getComputedStyle(b).color")
    bg = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    assert contrast(fg, bg) >= 4.5, (fg, bg, contrast(fg, bg))
    assert button.get_attribute("download") == f"{stem}.py"


def test_phone_figure_opens_full_size(phone, disk):
    """At 390 px a figure opens in a lightbox on tap, larger than it is drawn in the page."""
    stem = next(s for s in PROBLEMS if s.startswith("plot_5"))
    open_page(phone, disk + f"generated/problems/{stem}.html")
    figure = phone.locator("article a.glightbox img").first
    figure.scroll_into_view_if_needed()
    drawn = figure.bounding_box()["width"]
    assert drawn <= 390
    figure.click()
    big = phone.locator(".glightbox-container .gslide-image img").first
    big.wait_for(state="visible", timeout=10_000)
    natural = big.evaluate("i => i.naturalWidth")
    assert natural > 2 * drawn, (natural, drawn)
    assert phone.errors == []


def test_screenshot_of_a_problem_page(page, server, tmp_path):
    """A rendered problem page can be captured (a PNG of the visible window, not blank)."""
    stem = next((s for s in PROBLEMS if s.startswith("plot_6")), PROBLEMS[-1])
    open_page(page, server + f"generated/problems/{stem}.html")
    page.locator("article img").first.scroll_into_view_if_needed()
    shot = tmp_path / "problem.png"
    page.screenshot(path=str(shot))
    import numpy as np
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 900)
        grey = np.asarray(image.convert("L"))
    assert len(np.unique(grey)) > 10  # not a blank page


# --------------------------------------------------------------------------- phones and palettes


def test_phone_figure_text_is_legible(phone, server, built_site):
    """At 390 px every text in every figure is at least 9 CSS px: declared size x displayed scale.

    The build records each figure's width and the size in points of every text it draws
    (docs/gallery.py, ``*.png.text.json``); the browser says how wide the figure is shown.
    """
    images = built_site.project / "docs" / "generated" / "problems" / "images"
    small, measured = [], 0
    for stem in PROBLEMS:
        open_page(phone, server + f"generated/problems/{stem}.html")
        shown = phone.eval_on_selector_all(
            "article img[src^='images/mkd_glr_']",
            "imgs => imgs.map(i => [i.currentSrc || i.src, i.getBoundingClientRect().width])",
        )
        assert shown, f"{stem}: no figures"
        for src, width in shown:
            name = Path(urlsplit(src).path).name.replace("_2_0x.png", ".png")
            record = json.loads((images / (name + ".text.json")).read_text())
            for text, points in record["texts"]:
                pixels = points / 72 * width / record["width_in"]
                measured += 1
                if pixels < 8.95:
                    small.append(f"{stem} {name}: {text!r} {pixels:.1f} px")
    assert measured > 50
    assert small == [], "\n".join(small[:30])


def test_phone_tables_fit_the_screen(phone, server):
    """At 390 px the home page's tables fit the column: the 'published' columns are on screen."""
    open_page(phone, server + "index.html")
    edges = phone.eval_on_selector_all(
        "article table", "ts => ts.map(t => [t.getBoundingClientRect().right, t.scrollWidth, t.clientWidth])"
    )
    assert edges
    for right, scroll, client in edges:
        assert right <= 390 and scroll <= client + 1, (right, scroll, client)
    published = phone.locator("article th", has_text="published").first.bounding_box()
    assert published["x"] + published["width"] <= 390


def test_phone_verdict_lines_not_cut(phone, server):
    """At 390 px problem 3's verdict lines ('-> balanced') are shown whole, not scrolled out of view."""
    stem = next(s for s in PROBLEMS if s.startswith("plot_3"))
    open_page(phone, server + f"generated/problems/{stem}.html")
    blocks = phone.eval_on_selector_all(
        ".mkd-glr-script-out-disp code",
        "cs => cs.filter(c => c.textContent.includes('balanced'))"
        ".map(c => [c.scrollWidth, c.clientWidth, c.textContent])",
    )
    assert blocks
    for scroll, client, text in blocks:
        assert scroll <= client + 1, f"cut at 390 px: {text[:200]!r}"


@pytest.mark.parametrize("width", [390, 1280])
def test_copy_button_not_over_output(browser, server, width):
    """No copy button sits over printed output (at any width); code blocks keep theirs."""
    context, page = _context(browser, width=width, height=844)
    try:
        open_page(page, server + f"generated/problems/{PROBLEMS[2]}.html")
        # material adds the buttons to a code block once it has been on screen
        page.evaluate(
            "async () => { for (const p of document.querySelectorAll('article pre')) "
            "{ p.scrollIntoView(); await new Promise(r => setTimeout(r, 50)); } }"
        )
        visible = "bs => bs.filter(b => b.offsetParent !== null).length"
        over_output = page.eval_on_selector_all(".mkd-glr-script-out-disp .md-code__button", visible)
        on_code = page.eval_on_selector_all(
            ".md-typeset .highlight:not(.mkd-glr-script-out-disp) .md-code__button", visible
        )
        assert over_output == 0 and on_code > 0
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_out_label_contrast(browser, server, scheme):
    """The 'Out:' label above printed output contrasts at least 4.5:1 with the page, in both palettes."""
    context, page = _context(browser, scheme=scheme)
    try:
        open_page(page, server + f"generated/problems/{PROBLEMS[0]}.html")
        label = page.locator("p.mkd-glr-script-out").first
        fg = label.evaluate("p => getComputedStyle(p).color")
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert contrast(fg, bg) >= 4.5, (scheme, fg, bg, contrast(fg, bg))
    finally:
        context.close()


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under /sub/ and answers a missing address with 404.html, as hosts do."""

    def log_message(self, format, *args):  # noqa: A002
        pass

    def send_head(self):
        path = urlsplit(self.path).path
        if not path.startswith("/sub/"):
            self.send_error(404)
            return None
        self.path = path[len("/sub") :]
        local = Path(self.translate_path(self.path))
        if local.is_file():
            return super().send_head()
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def sub_path(built_site):
    """Serve the built site under /sub/, with 404.html for missing addresses; yield its base URL."""
    handler = functools.partial(_SubPathHandler, directory=str(built_site.site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sub/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_404_page_works_under_a_sub_path(browser, sub_path):
    """Published under /sub/, a missing address deep in the site shows a styled 404 page whose
    links lead back into the site."""
    context, page = _context(browser, width=390, height=844)
    try:
        base = sub_path
        page.goto(base + "no/such/page.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        assert page.locator("article h1").first.inner_text().strip() == "404 - Not found"
        # styled: material's stylesheet gives the header its primary colour and a fixed height
        header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
        assert header not in ("rgba(0, 0, 0, 0)", "transparent"), header
        sheets = page.evaluate("[...document.styleSheets].filter(s => s.cssRules.length > 0).length")
        assert sheets >= 3
        home = page.eval_on_selector("a.md-header__button.md-logo", "a => a.href")
        assert home.startswith(base), home
        assert broken_images(page) == []
        assert page.origins <= {("http", "127.0.0.1")}
    finally:
        context.close()


def _search_from_404_opens_a_page(page, url: str, site: str) -> None:
    """On the 404 page at ``url``: search finds problem 5, and its first result opens it, in ``site``."""
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert page.locator("article h1").first.inner_text().strip() == "404 - Not found"
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("overlap", delay=30)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(state="visible", timeout=15_000)
    hrefs = results.evaluate_all("as => as.map(a => a.href)")
    assert hrefs and all(h.startswith(site) for h in hrefs), hrefs[:3]
    results.first.click()
    page.wait_for_url(re.compile(r".*/generated/problems/plot_5_overlap\.html.*"))
    assert page.locator("article h1").first.inner_text().startswith("Problem 5")
    nav = page.eval_on_selector_all("nav.md-nav--primary a[href]", "as => as.map(a => a.href)")
    assert nav and all(h.startswith(site) for h in nav), nav[:3]


@pytest.mark.parametrize("missing", ["nothing.html", "no/such/deep/page.html"])
def test_404_page_search_and_links_work_under_a_sub_path(browser, sub_path, missing):
    """Under /sub/, at any depth, the 404 page's search lists pages under /sub/ and its results open
    them; its own links (navigation, logo) stay under /sub/ too."""
    context, page = _context(browser)
    try:
        page.goto(sub_path + missing, wait_until="load")
        page.wait_for_load_state("networkidle")
        links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        local = [h for h in links if h.startswith("http://127.0.0.1")]
        assert local and all(h.startswith(sub_path) for h in local), [h for h in local if sub_path not in h]
        _search_from_404_opens_a_page(page, sub_path + missing, sub_path)
        # (at a deep address the browser's preload scanner requests some assets relative to the
        # address before the <base> is set, and drops them: failed requests, but no script error)
        assert [e for e in page.errors if e.startswith("page error")] == []
    finally:
        context.close()


def test_404_page_opened_from_disk_links_and_searches(page, disk):
    """Opened from disk, 404.html is styled, its links name files of the site, and search works."""
    page.goto(disk + "404.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
    assert header not in ("rgba(0, 0, 0, 0)", "transparent"), header
    links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    files = [h.split("#")[0].split("?")[0] for h in links if h.startswith("file:")]
    assert files and all(h.startswith(disk) for h in files), [h for h in files if not h.startswith(disk)][:3]
    _search_from_404_opens_a_page(page, disk + "404.html", disk)
    assert page.errors == []


# The course's spellings, and the problem each should find.
COURSE_WORDS = {"normalize": "plot_2", "sanitized": "plot_5", "LogisticRegression": "plot_6",
                "logistic": "plot_6"}


def test_search_finds_the_courses_words(page, server):
    """The course's spellings find the problem that answers them; 'logistic' ranks problem 6 first."""
    open_page(page, server + "index.html")
    box = page.locator("input.md-search__input")
    box.click()
    for query, expected in COURSE_WORDS.items():  # one page: the search index is built once
        box.fill("")
        page.wait_for_function("() => !document.querySelector('.md-search-result__item')")
        box.press_sequentially(query, delay=30)
        results = page.locator(".md-search-result__item > a")
        results.first.wait_for(state="visible", timeout=15_000)
        hrefs = results.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        pages = [h.split("#")[0] for h in hrefs]
        assert pages, query
        if query == "logistic":
            assert expected in pages[0], pages
        else:
            assert any(expected in p for p in pages), (query, pages)
