"""Playwright driving Debian's Chromium (never a downloaded browser)."""
import os
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
# The README shows docs/screenshots; refresh them with SAVE_SCREENSHOTS=1 so ordinary test runs
# do not rewrite tracked files.
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("SAVE_SCREENSHOTS") == "1" else "var/screenshots")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
TABLET = {"width": 800, "height": 1280}    # a 10" tablet in portrait
LANDSCAPE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# Chromium reports every Content-Security-Policy refusal on the console; each browser test fails
# when one was reported (the check is in tests/conftest.py), so a script or style the CSP blocks
# cannot go unnoticed.
CSP_VIOLATIONS: list[str] = []


# The console text does not say which script caused a refusal; the DOM event does.
_CSP_EVENT_LOGGER = """document.addEventListener("securitypolicyviolation", e => console.error(
  "Content Security Policy event: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
  " from " + e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber));"""


def _watch_csp(context):
    def on_console(msg):
        if "Content Security Policy" in msg.text:
            CSP_VIOLATIONS.append(f"{msg.page.url if msg.page else '?'}: {msg.text}")
    context.on("console", on_console)
    context.add_init_script(_CSP_EVENT_LOGGER)
    return context


def launch(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    new_context, new_page = browser.new_context, browser.new_page
    browser.new_context = lambda *a, **k: _watch_csp(new_context(*a, **k))

    def page_in_watched_context(*a, **k):
        page = new_page(*a, **k)
        _watch_csp(page.context)
        return page
    browser.new_page = page_in_watched_context
    return browser


@contextmanager
def chromium(*required_files: Path):
    """Debian's Chromium for one test module, after checking vendored assets the pages need."""
    for path in required_files:
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run bin/vendor-static (make install does)")
    # Sync Playwright keeps an event loop in this thread; the ORM calls that fixtures make are
    # still synchronous and safe here (the documented way to combine the two).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_page(browser, server, username, *, viewport=TABLET, password=PASSWORD):
    context = browser.new_context(viewport=viewport, locale="vi-VN", base_url=server.http)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(server.http + "/")
    return page


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

AXE = Path(__file__).resolve().parent.parent / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core (installed by tests/vendor.sh) and return serious/critical violations."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run bin/vendor-static (make install does)")
    # Evaluated through the DevTools protocol: an injected <script> would be refused by the page's CSP.
    page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def confirm(page, yes: str) -> None:
    """Answer an irreversible action's confirmation dialog (frontend/js/confirm.js) with `yes`."""
    dialog = page.locator("dialog.confirm-dialog")
    dialog.get_by_role("button", name=yes).click()
    dialog.wait_for(state="detached")
