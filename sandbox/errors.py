"""The root of every error pacore raises on purpose, at the bottom layer.

The sandbox is the bottom layer: it imports nothing from `pacore_core` or the front ends,
so the root it raises from lives here, and `pacore_core.errors` re-exports it. There is
one `PacoreError` class, and every `except PacoreError` above catches the sandbox's
errors too.

An error carries what was wrong (`message`), which setting it concerns (`setting`, a key
of the configuration table such as ``sandbox_runtime``) and how to fix it (`fix`, worded
without naming any front end, other keys written ``{key}``). Front ends render a key in
their own terms: the CLI as a flag (``--runtime``), the editor as a setting name
(``pacore.sandboxRuntime``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_KEY = re.compile(r"\{(\w+)\}")

SettingNamer = Callable[[str], str]
"""Maps a configuration key (``base_url``) to what a user types in one front end."""


def fill_settings(text: str, name_setting: SettingNamer | None) -> str:
    """Replace each ``{key}`` with the front end's name for that configuration key (the
    raw key without a namer)."""
    return _KEY.sub(lambda m: name_setting(m[1]) if name_setting else m[1], text)


class PacoreError(Exception):
    """Root of pacore's errors: catch this to catch every anticipated failure."""

    def __init__(self, message: str, *, setting: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.fix = fix

    def render(self, name_setting: SettingNamer | None = None) -> str:
        """The message plus the fix, with `{setting}` placeholders in the fix named for one front end.

        A fix may refer to other keys as ``{key}``; the namer turns each into a flag or an
        editor setting. Without a namer the raw key names are used.
        """
        if not self.fix:
            return self.message
        sep = " " if self.message.endswith((".", ":", ";")) else ". "
        return f"{self.message}{sep}{fill_settings(self.fix, name_setting)}"

    def __str__(self) -> str:
        return self.render()


class SandboxError(PacoreError, RuntimeError):
    """The sandbox infrastructure failed or is not set up (not the candidate's fault)."""
