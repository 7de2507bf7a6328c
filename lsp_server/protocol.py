"""The wire protocol of the server: command names, argument and result models, error replies.

Kept apart from the handlers so that the editor clients' types (generated from these models'
JSON schema, see scripts/gen_protocol_ts.py) and the docs have one source.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

TITLE = "Solve with PaCoRe"
CMD_SOLVE = "pacore.solve"
CMD_CANCEL = "pacore.cancel"
CMD_REPORT = "pacore.report"
CMD_DOCTOR = "pacore.doctor"
CMD_FIX = "pacore.fix"  # "Fix <name> with PaCoRe": repair a written function whose tests fail


def fix_title(name: str) -> str:
    return f"Fix {name} with PaCoRe"


class RequestFailed(JsonRpcException):
    """LSP `RequestFailed`: the request was valid but the server could not do it."""

    CODE = -32803
    MESSAGE = "Request failed"


def fail(message: str) -> RequestFailed:
    return RequestFailed(message=message)


def invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=f"Invalid Params: {message}")


class Position(BaseModel):
    """An LSP position (zero-based line, column in the negotiated encoding)."""

    line: int = Field(ge=0)
    character: int = Field(ge=0)


class SolveArgs(BaseModel):
    """The one argument of `pacore.solve` (and `pacore.fix`)."""

    uri: str
    position: Position
    version: int | None = None


class CancelArgs(BaseModel):
    """The optional argument of `pacore.cancel`: a solve id, or the function at a position."""

    solveId: str | None = None
    uri: str | None = None
    position: Position | None = None


class SolveStarted(BaseModel):
    """What `pacore.solve` returns at once: the job it started."""

    solveId: str
    function: str


class CancelResult(BaseModel):
    """What `pacore.cancel` returns once the cancelled solves have finished."""

    cancelled: list[str]
