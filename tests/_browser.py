"""A student's browser, offline: Debian's headless Chromium visiting the built site from a local server.

Playwright drives /usr/bin/chromium (its own browser download is never used). Every request that
does not go to the local server is aborted and recorded, and the browser resolves no host name, so
a page that needs the internet shows up as a blocked request instead of quietly working here.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # no DNS at all: a request that slipped past the route below still could not leave the machine
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 900}
COLOR_MODES = ("light", "dark")
# The pydata theme's colour mode is the reader's choice kept in localStorage ("mode", and "theme" that
# an inline script in <head> copies onto <html data-theme> before the page paints); set it before any
# script of the page runs, as a returning reader who chose it would have it.
COLOR_MODE_JS = 'localStorage.setItem("mode", {mode}); localStorage.setItem("theme", {mode});'

# Sphinx marks math as span.math (inline) and div.math (display); MathJax CHTML puts an
# mjx-container inside each one it typesets, and marks TeX it cannot parse with data-mjx-error.
MATH_STATE_JS = """
async () => {
  const scripted = [...document.scripts].some(s => /mathjax/i.test(s.src));
  if (scripted) {
    const deadline = Date.now() + 5000;  // a deferred script has run (or failed) once the page is quiet
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const nodes = [...document.querySelectorAll("span.math, div.math")];
  return {
    scripted,
    version: (window.MathJax && window.MathJax.version) || null,
    src: ([...document.scripts].find(s => /mathjax/i.test(s.src)) || {}).src || null,
    total: nodes.length,
    rendered: nodes.filter(n => n.querySelector("mjx-container")).length,
    unrendered: nodes.filter(n => !n.querySelector("mjx-container")).map(n => n.textContent.trim().slice(0, 80)),
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(n => (n.getAttribute("data-mjx-error") || n.textContent).slice(0, 80)),
    failed_fonts: [...document.fonts].filter(f => f.status === "error").map(f => f.family),
  };
}
"""


@dataclass
class Visit:
    """What one page load did: every request, what was blocked or failed, errors, and its math."""

    path: str
    final_url: str = ""
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    inspection: Any = None  # what visit(inspect=...) returned for this page
    load_error: str = ""
    pending: dict = field(default_factory=dict)  # request -> url, while in flight

    def problems(self) -> list[str]:
        return ([self.load_error] * bool(self.load_error)
                + [f"left the local server: {url}" for url in self.blocked]
                + [f"failed request: {item}" for item in self.failed]
                + [f"console error: {item}" for item in self.console_errors])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a page opens many connections at once; the default backlog is 5


class LocalSite:
    """Serve `root` on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = _Server(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"{self.origin}/{path.lstrip('/')}"

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or f"{parts.scheme}://{parts.netloc}" == self.origin


class Browser:
    """One headless Chromium for a test module; `visit` opens each page in a fresh tab."""

    def __init__(self, site: LocalSite):
        from playwright.sync_api import sync_playwright

        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"{CHROMIUM} not found: `make test` installs Debian's chromium "
                               "(apt-get install chromium), or set CHROMIUM=/path/to/chromium")
        self.site = site
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                             args=LAUNCH_ARGS, timeout=60_000)
            self.context = self._browser.new_context(viewport=VIEWPORT, service_workers="block")
        except Exception:
            self._playwright.stop()
            raise
        self.context.set_default_timeout(60_000)  # two shared cores: be patient, not flaky

    def close(self) -> None:
        self.context.close()
        self._browser.close()
        self._playwright.stop()

    def open(self, visit: Visit, *, color_mode: str | None = None):
        """A new tab whose requests, failures and console errors are recorded into `visit`; in the
        theme's `color_mode` ("light" or "dark") when one is given, else in the site's default."""
        page = self.context.new_page()
        if color_mode is not None:
            if color_mode not in COLOR_MODES:
                raise ValueError(f"color_mode must be one of {COLOR_MODES}, got {color_mode!r}")
            page.add_init_script(COLOR_MODE_JS.format(mode=json.dumps(color_mode)))

        def route(route):
            if self.site.is_local(route.request.url):
                route.continue_()
            else:
                visit.blocked.append(route.request.url)
                route.abort("blockedbyclient")

        page.route("**/*", route)

        def started(request):
            visit.requests.append(request.url)
            visit.pending[request] = request.url

        def failed(request):
            visit.pending.pop(request, None)
            visit.failed.append(f"{request.url} ({request.failure})")

        page.on("request", started)
        page.on("requestfinished", lambda request: visit.pending.pop(request, None))
        page.on("requestfailed", failed)
        page.on("response", lambda response: response.status >= 400
                and visit.failed.append(f"{response.url} (HTTP {response.status})"))
        page.on("console", lambda message: message.type == "error"
                and visit.console_errors.append(f"{message.text} [{message.location.get('url', '')}]"))
        page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught exception: {error}"))
        return page

    @staticmethod
    def settle(page, visit: Visit, *, quiet_ms: int = 500, timeout_ms: int = 60_000) -> None:
        """Wait until no request has been in flight for `quiet_ms` (Playwright's networkidle, but
        one that names the request that never finished instead of only timing out)."""
        quiet = waited = 0
        while quiet < quiet_ms:
            if waited >= timeout_ms:
                raise TimeoutError(f"requests still in flight after {timeout_ms} ms: "
                                   f"{sorted(set(visit.pending.values()))}")
            page.wait_for_timeout(50)
            waited += 50
            quiet = quiet + 50 if not visit.pending else 0

    def visit(self, path: str, *, redirects_to: str | None = None, screenshot: Path | None = None,
              color_mode: str | None = None, inspect: Callable[[Any], Any] | None = None) -> Visit:
        """Load one page like a student: wait for the network to go quiet and MathJax to finish.

        `color_mode` opens it in the theme's light or dark mode; `inspect(page)` runs on the loaded
        page (before any screenshot) and what it returns is kept as `visit.inspection`."""
        from playwright.sync_api import Error as PlaywrightError

        visit = Visit(path)
        page = self.open(visit, color_mode=color_mode)
        try:
            page.goto(self.site.url(path), wait_until="load")
            if redirects_to:
                page.wait_for_url(self.site.url(redirects_to))
            self.settle(page, visit)
            visit.math = page.evaluate(MATH_STATE_JS)
            self.settle(page, visit)  # fonts MathJax asked for while typesetting
            visit.final_url = page.url
            if inspect is not None:
                visit.inspection = inspect(page)
            if screenshot:
                # the whole page on one tall screen (a full_page capture would cut the sticky sidebar)
                height = min(page.evaluate("document.documentElement.scrollHeight"), 12_000)
                page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
                page.wait_for_timeout(300)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
        except (PlaywrightError, TimeoutError) as error:  # a page that never settles is a finding
            visit.load_error = f"did not finish loading: {str(error).splitlines()[0]}"
        finally:
            page.close()
        return visit


@contextmanager
def browsing(root: Path) -> Iterator[Browser]:
    """A browser on the built site at `root`, served locally, closed afterwards (the site tests' fixture)."""
    with LocalSite(root) as site:
        chromium = Browser(site)
        try:
            yield chromium
        finally:
            chromium.close()
