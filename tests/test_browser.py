"""Browser tests of the built site in headless Chromium (Playwright driving Debian's chromium).

The site is the one built by tests/test_site.py (``built_site``, once per session), served over
HTTP on 127.0.0.1.  Skipped, with the reason, only when no Chromium is installed.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_site import PROBLEMS, built_site  # noqa: F401  (built_site is a fixture)

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
def server(built_site):  # noqa: F811
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


@pytest.fixture
def page(browser, server):
    """A fresh light-mode page that records console errors and every request's host."""
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.hosts = set()
    page.on(
        "console",
        lambda msg: page.errors.append(f"console {msg.type}: {msg.text}")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: page.errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: page.errors.append(f"request failed: {req.url}"))
    page.on("request", lambda req: page.hosts.add(urlsplit(req.url).hostname))
    yield page
    context.close()


def open_page(page, url: str) -> None:
    """Go to ``url`` and wait until it and its images have loaded."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")


def broken_images(page) -> list[str]:
    """``src`` of every <img> on the page that has not loaded (naturalWidth 0)."""
    return page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )


def test_pages_load_cleanly(page, server):
    """Every page loads with no console error, all its images, and nothing from another host."""
    urls = ["", "data/", "generated/problems/", "generated/problems/mg_execution_times/"]
    urls += [f"generated/problems/{stem}/" for stem in PROBLEMS]
    for url in urls:
        open_page(page, server + url)
        assert page.locator("article h1").count() >= 1, f"{url}: no title"
        assert broken_images(page) == [], f"{url}: images not loaded"
        n_images = page.locator("article img").count()
        if url.startswith("generated/problems/plot_"):
            assert n_images > 0, f"{url}: no figures"
    assert page.errors == []
    assert page.hosts == {"127.0.0.1"}, f"fetched from other hosts: {page.hosts - {'127.0.0.1'}}"


def test_navigation_reaches_a_problem(page, server):
    """Clicking a problem in the navigation opens its page."""
    open_page(page, server)
    last = PROBLEMS[-1]
    link = page.locator(f"nav.md-nav--primary a[href$='generated/problems/{last}/']").first
    title = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(rf".*/generated/problems/{last}/$"))
    assert page.locator("article h1").first.inner_text().strip().startswith(title[:20])
    assert page.errors == []


def test_search_finds_a_problem(page, server):
    """Typing a word in the search box lists matching pages."""
    open_page(page, server)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("logistic", delay=30)  # material listens to key events
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=15_000)
    assert results.count() > 0
    assert "logistic" in page.locator(".md-search-result").inner_text().lower()
    assert page.errors == []


def test_dark_mode_toggle(page, server):
    """The palette toggle switches the colour scheme to dark (slate) and back."""
    open_page(page, server)

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


def test_screenshot_of_a_problem_page(page, server, tmp_path):
    """A rendered problem page can be captured (a PNG of the visible window, not blank)."""
    stem = next((s for s in PROBLEMS if s.startswith("plot_6")), PROBLEMS[-1])
    open_page(page, server + f"generated/problems/{stem}/")
    page.locator("article img").first.scroll_into_view_if_needed()
    shot = tmp_path / "problem.png"
    page.screenshot(path=str(shot))
    import numpy as np
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 900)
        grey = np.asarray(image.convert("L"))
    assert len(np.unique(grey)) > 10  # not a blank page
