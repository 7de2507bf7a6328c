"""`pacore.runPage` and `pacore.runs`: run pages for the editors (VS Code's webview, Neovim's
browser), from the runs the server keeps (`lsp_server.runs`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lsp_server.protocol import fail, invalid
from lsp_server.runs import RunPageArgs
from lsp_server.server import PacoreLanguageServer
from pacore_core.errors import PacoreError

CMD_RUN_PAGE = "pacore.runPage"
CMD_RUNS = "pacore.runs"


def register(ls: PacoreLanguageServer) -> None:
    @ls.command(CMD_RUN_PAGE)
    async def run_page_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any] | None:
        if len(args) > 1:
            raise invalid(f"{CMD_RUN_PAGE} takes [] or [{{solveId?, since?, write?}}]")
        try:
            a = RunPageArgs.model_validate(args[0] if args else {})
        except ValidationError as e:
            raise invalid(f"{CMD_RUN_PAGE}: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from None
        try:
            page = await ls.runs.page(a, ls.root_folder())
        except PacoreError as e:
            raise fail(str(e)) from None
        except OSError as e:
            raise fail(f"cannot write the run page: {e}") from None
        return page.model_dump(mode="json") if page is not None else None

    @ls.command(CMD_RUNS)
    def runs_command(ls: PacoreLanguageServer, *args: Any) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for e in ls.runs.entries(ls.root_folder())]
