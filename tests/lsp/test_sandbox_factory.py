"""The editor's sandbox factory: a runtime setting applies to Docker only, and secret-looking
paths the user opted in reach the project suite."""

from __future__ import annotations

from lsp_server.server import default_sandbox_factory
from pacore_core.config import Settings
from sandbox.local_backend import LocalSandbox


def test_runtime_setting_does_not_break_the_local_sandbox() -> None:
    server = {"sandbox": "local", "sandbox_runtime": "runsc"}
    settings = Settings.model_validate({"server": server})
    sandbox = default_sandbox_factory(settings)
    assert isinstance(sandbox, LocalSandbox)


def test_project_include_is_an_editor_setting() -> None:
    settings = Settings.model_validate({"editor": {"project_include": [".env"]}})
    assert settings.editor.project_include == [".env"]
