"""axe-core (WCAG 2 A/AA) in a Playwright page, and a page's console errors and failed
requests. axe is vendored under tests/vendor/axe-core/ for the tests only (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = [(1280, 800), (390, 844)]  # issue 18: a laptop and a phone


def load_axe(page: Page) -> None:
    """Put axe into the page. Through the DevTools protocol (evaluate), not a <script>
    tag: the app's Content-Security-Policy (issue 13) rightly refuses inline scripts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe on the whole document; each violation as {id, help, nodes: [target...]}."""
    load_axe(page)
    found = page.evaluate(
        """async (tags) => {
          const r = await axe.run(document, { runOnly: { type: "tag", values: tags } });
          return r.violations.map((v) => ({ id: v.id, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary) }));
        }""",
        WCAG_AA,
    )
    return list(found)


@contextmanager
def watch(page: Page, ignore: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """Collect console errors and failed requests (network failures and 4xx/5xx) while
    the block runs, leaving out URLs ending in one of `ignore`; filled as they happen."""
    problems: list[str] = []

    def note(text: str, url: str) -> None:
        if not url.split("?")[0].endswith(ignore) or not ignore:
            problems.append(text)

    page.on(
        "console",
        lambda m: (
            note(f"console: {m.text}", m.location.get("url", "")) if m.type == "error" else None
        ),
    )
    # ERR_ABORTED is a request the page cancelled itself (a newer one replaced it).
    page.on(
        "requestfailed",
        lambda r: (
            None
            if "ERR_ABORTED" in (r.failure or "")
            else note(f"failed: {r.method} {r.url} {r.failure}", r.url)
        ),
    )
    page.on(
        "response",
        lambda r: (
            note(f"{r.status}: {r.request.method} {r.url}", r.url) if r.status >= 400 else None
        ),
    )
    yield problems
