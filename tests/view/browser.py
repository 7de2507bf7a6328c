"""A real browser for the page tests: Debian's chromium driven by Python playwright, offline.

Every request that is not a `file:` URL is refused and remembered, so a page that tries to
fetch anything (a CDN, a font) fails its test; console errors and page errors are collected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "view"


@dataclass
class Page:
    page: Any
    errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)

    def open(self, path: Path, anchor: str = "") -> None:
        self.page.goto(path.resolve().as_uri() + anchor)

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(out), full_page=full_page)
        return out

    def clean(self) -> None:
        """Nothing fetched from the network, no console error, no script error."""
        assert self.network == [], f"the page tried to load {self.network}"
        assert self.errors == [], f"console/page errors: {self.errors}"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Python playwright is missing: scripts/setup_vscode.sh installs it (make test)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: scripts/setup_vscode.sh installs Debian's chromium (make test)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, width: int = 1400, height: int = 1000) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = Page(context.new_page())

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            page.network.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.page.on("console", lambda m: m.type in ("error", "warning") and page.errors.append(
        f"{m.type}: {m.text}"))
    page.page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    return page
