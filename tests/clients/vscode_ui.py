"""Driving VS Code's real UI (code-server in headless chromium) the way a user does:
keyboard shortcuts, the command palette, the Ctrl+. menu, notification buttons.

Why the DOM: the workbench has no test API in a browser; what the user sees is what the
tests read (editor lines, notifications, squiggles, the output panel).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Locator, Page

T = TypeVar("T")

ACTIVE_GROUP = ".part.editor .editor-group-container.active"
# the text editor of the active group (in a diff editor: the right-hand, modified side)
ACTIVE_EDITOR = (f"{ACTIVE_GROUP} .editor-instance .monaco-editor:not(.original-in-monaco-diff-editor)"
                 ":not(.monaco-diff-editor)")

_LINES_JS = """(root) => {
  const lines = [...root.querySelectorAll('.view-lines .view-line')];
  lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
  return lines.map((l) => l.textContent.replace(/\\u00a0/g, ' ')).join('\\n');
}"""

_SETTING_ROWS_JS = """(editor) => [...editor.querySelectorAll(
  '.settings-tree-container .setting-item-contents[data-key]')].map(
  (row) => [row.getAttribute('data-key'), row.innerText])"""


class Workbench:
    """One VS Code window in a playwright page."""

    def __init__(self, page: Page, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts

    # -- waiting ----------------------------------------------------------------------------

    def wait_until(self, probe: Callable[[], T], what: str, timeout: float = 60.0) -> T:
        """Poll `probe` until it returns something truthy; fail naming `what` otherwise."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            self.page.wait_for_timeout(200)
        self.screenshot(f"timeout-{what[:40].replace(' ', '_').replace('/', '_')}")
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")

    def wait_ready(self) -> None:
        self.page.wait_for_selector(".monaco-workbench .part.editor", timeout=120_000)
        self.page.wait_for_selector(".explorer-folders-view .monaco-list-row", timeout=120_000)
        side = self.page.locator(".part.auxiliarybar").filter(visible=True)
        if side.count():  # an empty chat area: give the editor the room (Ctrl+Alt+B toggles it)
            self.page.locator(".part.editor").click(position={"x": 5, "y": 5})
            self.page.keyboard.press("Control+Alt+B")
            with contextlib.suppress(Exception):
                side.first.wait_for(state="hidden", timeout=5_000)

    # -- files and the editor ----------------------------------------------------------------

    def quick_open(self, relpath: str) -> None:
        """Ctrl+P, the file's path, pick exactly that file (the file index may take a moment,
        and rows move while results arrive: retried until its tab is the active one)."""
        name = Path(relpath).name
        exact = self.page.locator(".label-name", has_text=re.compile(f"^{re.escape(name)}$"))

        def opened() -> bool:
            if self.active_tab() == name:
                return True
            self.page.keyboard.press("Control+P")
            box = self.page.locator(".quick-input-widget .quick-input-box input")
            box.wait_for(state="visible", timeout=10_000)
            box.fill(relpath)
            row = self.page.locator(".quick-input-widget .monaco-list-row").filter(has=exact).first
            try:
                row.wait_for(state="visible", timeout=5_000)
                self.page.wait_for_timeout(300)  # let the result list settle
                row.click(timeout=5_000)
            except Exception:
                self.page.keyboard.press("Escape")
                return False
            with contextlib.suppress(Exception):
                self.page.locator(f"{ACTIVE_GROUP} .tab.active[aria-label^='{name}']").wait_for(
                    timeout=5_000)
            return self.active_tab() == name

        self.wait_until(opened, f"{relpath} opened from quick open", 60)
        self.page.locator(ACTIVE_EDITOR).filter(visible=True).first.wait_for(timeout=30_000)

    def active_tab(self) -> str:
        """The active tab's name (without the ", preview" VS Code adds for preview tabs)."""
        tab = self.page.locator(f"{ACTIVE_GROUP} .tab.active").first
        label = (tab.get_attribute("aria-label") or "").strip() if tab.count() else ""
        return label.removesuffix(", preview")

    def tab_dirty(self) -> bool:
        """Whether the active tab shows unsaved changes."""
        return self.page.locator(f"{ACTIVE_GROUP} .tab.active.dirty").count() > 0

    def editor_text(self) -> str:
        """The active editor's lines as the user sees them (non-breaking spaces normalised)."""
        editor = self.page.locator(ACTIVE_EDITOR).filter(visible=True).first
        return str(editor.evaluate(_LINES_JS))

    def goto(self, line: int, column: int = 1) -> None:
        """Ctrl+G LINE:COL (1-based, like the status bar)."""
        self.focus_editor()
        self.page.keyboard.press("Control+G")
        box = self.page.locator(".quick-input-widget .quick-input-box input")
        box.wait_for(state="visible", timeout=10_000)
        box.fill(f":{line}:{column}")
        self.page.wait_for_timeout(200)
        self.page.keyboard.press("Enter")
        self.wait_until(lambda: f"Ln {line}, Col {column}" in self.status_bar(),
                        f"the cursor at {line}:{column}", 15)

    def focus_editor(self) -> None:
        self.page.locator(f"{ACTIVE_EDITOR} .view-lines").first.click(position={"x": 400, "y": 5})
        self.page.keyboard.press("Escape")

    def status_bar(self) -> str:
        return self.page.locator(".part.statusbar").inner_text()

    def replace_line(self, line: int, text: str) -> None:
        """Select the text of `line` (after its indentation) and type `text` over it."""
        self.goto(line, 1)
        self.page.keyboard.press("End")
        self.page.keyboard.press("Shift+Home")  # smart home: stops at the indentation
        self.page.keyboard.type(text, delay=20)

    def hover_squiggle(self, kind: str = "info") -> str:
        """Hover the mouse over the first squiggle of `kind`; the hover's text."""
        # the squiggle lies under the text layer: move the mouse onto it, as a user does
        box = self.page.locator(f"{ACTIVE_EDITOR} .squiggly-{kind}").first.bounding_box()
        assert box is not None, f"no {kind} squiggle on screen"
        self.page.mouse.move(box["x"] + min(30, box["width"] / 2), box["y"] + box["height"] / 2)
        hover = self.page.locator(".monaco-hover:not(.hidden) .monaco-hover-content").filter(
            visible=True).first
        text: str = self.wait_until(lambda: hover.inner_text().strip() if hover.count() else "",
                                    "the hover", 15)
        return text

    def squiggles(self, kind: str = "info") -> int:
        """Diagnostic squiggles of `kind` (error, warning, info, hint) in the active editor."""
        return self.page.locator(f"{ACTIVE_EDITOR} .squiggly-{kind}").count()

    # -- commands and menus -------------------------------------------------------------------

    def palette(self, title: str) -> None:
        """Run a command from the command palette by its title."""
        self.page.keyboard.press("Control+Shift+P")
        box = self.page.locator(".quick-input-widget .quick-input-box input")
        box.wait_for(state="visible", timeout=10_000)
        box.fill(f">{title}")
        row = self.page.locator(".quick-input-widget .monaco-list-row", has_text=title).first
        row.wait_for(state="visible", timeout=15_000)
        row.click()
        # the palette closes; a command that asks something (a quick pick) reuses the same
        # widget at once, so "closed" is: hidden, or no longer the palette's own input
        palette_label = "Type the name of a command to run."

        def closed() -> bool:
            return not box.is_visible() or box.get_attribute("aria-label") != palette_label

        self.wait_until(closed, f"the palette to close after {title!r}", 10)

    def quick_fix(self, title: str) -> list[str]:
        """Ctrl+. at the cursor, then pick `title`; returns the titles that were offered."""
        widget = self.page.locator(".action-widget").first  # (its submenu panel is one too)

        def menu() -> list[str]:
            self.page.keyboard.press("Control+.")
            try:
                widget.wait_for(state="visible", timeout=5_000)
                self.page.locator(".action-widget .monaco-list-row", has_text=title).first.wait_for(
                    state="visible", timeout=5_000)
            except Exception:
                self.page.keyboard.press("Escape")
                return []
            rows = widget.locator(".monaco-list-row.action .title").all_inner_texts()
            return [t.strip() for t in rows]

        offered = self.wait_until(menu, f"{title!r} in the Ctrl+. menu", 60)
        self.page.locator(".action-widget .monaco-list-row", has_text=title).first.click()
        widget.wait_for(state="hidden", timeout=10_000)
        return offered

    # -- the Settings editor ---------------------------------------------------------------------

    def settings_ui(self, query: str, tab: str = "User") -> dict[str, str]:
        """Open the Settings editor (UI) on `tab` (User, Remote, Workspace), search `query`
        and return every setting it lists, key -> its row's text (label, description). The
        list is virtual: it is scrolled from the top to the end, collecting rows as they
        are rendered. Close it with `close_settings`."""
        self.palette("Preferences: Open Settings (UI)")
        editor = self.page.locator(".settings-editor").filter(visible=True).first
        editor.wait_for(timeout=30_000)
        label = editor.locator(".settings-tabs-widget .action-label",
                              has_text=re.compile(f"^{re.escape(tab)}")).first
        label.click()
        self.wait_until(lambda: label.get_attribute("aria-selected") == "true",
                        f"the {tab} tab", 15)
        editor.locator(".settings-header .suggest-input-container .monaco-editor").first.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(query, delay=10)
        count = editor.locator(".settings-count-widget")
        self.wait_until(lambda: "Found" in (count.inner_text() or ""), "the settings search", 30)
        self.page.wait_for_timeout(500)  # (Escape would close the Settings editor)
        tree = editor.locator(".settings-tree-container").first
        seen: dict[str, str] = {}
        unchanged = 0
        while unchanged < 6:  # no new row over 1800 px: the end (no setting is that tall)
            before = len(seen)
            for key, text in editor.evaluate(_SETTING_ROWS_JS):  # at once: rows re-render
                seen.setdefault(key, " ".join(text.split()))
            # over the rows' left margin: an object setting's table would take the wheel
            box = tree.bounding_box()
            assert box is not None, "the settings list is not on screen"
            self.page.mouse.move(box["x"] + 6, box["y"] + box["height"] / 2)
            self.page.mouse.wheel(0, 300)
            self.page.wait_for_timeout(200)
            unchanged = unchanged + 1 if len(seen) == before else 0
        return seen

    def close_settings(self) -> None:
        """Close the Settings editor (in VS Code 1.139 a modal over the workbench: the
        command palette does not open while it is shown)."""
        editor = self.page.locator(".settings-editor").filter(visible=True)

        def closed() -> bool:
            if editor.count() == 0:
                return True
            editor.first.locator(".settings-tree-container").first.click(position={"x": 5, "y": 5})
            self.page.keyboard.press("Escape")
            self.page.wait_for_timeout(300)
            return editor.count() == 0

        self.wait_until(closed, "the Settings editor closed", 15)

    def settings_found(self) -> int:
        """The Settings editor's "N Settings Found"."""
        text = self.page.locator(".settings-editor .settings-count-widget").first.inner_text()
        m = re.search(r"(\d+) Settings? Found", text)
        assert m, f"no settings count in {text!r}"
        return int(m.group(1))

    # -- notifications -------------------------------------------------------------------------

    def toast(self, text: str) -> Locator:
        return self.page.locator(".notifications-toasts .notification-toast", has_text=text)

    def wait_toast(self, text: str, timeout: float = 60.0) -> Locator:
        loc = self.toast(text).first
        loc.wait_for(state="visible", timeout=timeout * 1000)
        return loc

    def click_toast_button(self, text: str, button: str) -> None:
        toast = self.wait_toast(text)
        toast.hover()
        toast.locator(".monaco-button", has_text=button).first.click()

    def clear_notifications(self) -> None:
        self.palette("Notifications: Clear All Notifications")

    # -- panels ---------------------------------------------------------------------------------

    def output_text(self) -> str:
        """The text of the Output panel's editor (the channel the extension showed)."""
        editor = self.page.locator(".part.panel .monaco-editor").first
        editor.wait_for(state="visible", timeout=15_000)
        return str(editor.evaluate(_LINES_JS))

    def close_all_editors(self) -> None:
        """Close every editor without saving (reverting): each test starts from disk."""
        while self.page.locator(f"{ACTIVE_GROUP} .tab").count() > 0:
            self.palette("View: Revert and Close Editor")
            self.page.wait_for_timeout(200)

    def screenshot(self, name: str) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
