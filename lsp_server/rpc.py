"""The JSON-RPC layer: pygls's `LanguageServerProtocol` with two of its defaults changed.

- A request whose params do not fit the LSP types (a negative position, a missing field) is
  answered with `InvalidParams`. pygls logs it and sends nothing, so the client waits forever.
- An error a handler raises on purpose (`JsonRpcException`: the request was invalid or could
  not be done) is a refusal, not a fault: it is logged at INFO without a traceback. Anything
  else still gets pygls's InternalError reply and an ERROR traceback.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage, MsgId

log = logging.getLogger("pacore.lsp")


class _Answered:
    """A request already answered while it was being read: nothing left to dispatch."""

    jsonrpc = "answered"


def _describe(exc: BaseException) -> str:
    """The innermost reasons of a cattrs structuring failure, one per bad field."""
    from cattrs import transform_error

    try:
        reasons = transform_error(exc, path="params")
    except Exception:  # not a cattrs validation error
        reasons = [f"{type(exc).__name__}: {exc}"]
    return "; ".join(r.replace("$.", "") for r in reasons)


class PacoreProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" in data and "id" in data and "method" in data and "error" not in data:
            method = data["method"]
            request_type = self.get_message_type(method) or JsonRPCRequestMessage
            try:
                return self._converter.structure(data, request_type)
            except Exception as exc:
                detail = _describe(exc)
                log.info("refused %s request %s: invalid params: %s", method, data["id"], detail)
                error = JsonRpcInvalidParams(message=f"Invalid Params: {method}: {detail}")
                self._send_response(data["id"], error=error.to_response_error())
                return _Answered()
        return super().structure_message(data)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        super().handle_message(message)

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        exc = None if future.cancelled() else future.exception()
        if isinstance(exc, JsonRpcException):
            self._request_futures.pop(msg_id, None)
            log.info("refused request %s: %s", msg_id, exc.message)
            self._send_response(msg_id, error=exc.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)
