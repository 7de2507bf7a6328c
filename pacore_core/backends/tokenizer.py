"""The model's own token counts through vLLM's ``POST /tokenize``, with a bounded cache.

vLLM serves ``/tokenize`` at the server root (outside ``/v1``); some builds and proxies
serve it under ``/v1``. The first path that answers is remembered; a server with neither
gets the documented chars/3.5 estimate (`pacore_core.tokens`), logged once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

import httpx

from pacore_core.tokens import estimate_tokens

log = logging.getLogger(__name__)

CACHE_SIZE = 4096
_PATHS = ("/tokenize", "/v1/tokenize")


def server_root(base_url: str) -> str:
    """The server root of an OpenAI API root (``http://h:8000/v1`` -> ``http://h:8000``)."""
    base_url = base_url.rstrip("/")
    return base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url


class ServerTokenizer:
    """Counts tokens with a server's tokenizer; `root` is asked each time (endpoints rotate)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        model: str,
        root: Callable[[], str],
        headers: Callable[[], dict[str, str]],
        *,
        concurrency: int = 8,
    ) -> None:
        self._client = client
        self._model = model
        self._root = root
        self._headers = headers
        # a separate limit: counting must not wait behind long generations
        self._sem = asyncio.Semaphore(concurrency)
        self._path: str | None = None
        self._missing = False
        self._cache: OrderedDict[str, int] = OrderedDict()

    async def count(self, text: str) -> int:
        """Tokens of `text`; the chars/3.5 estimate when the server cannot tell."""
        if not text:
            return 0
        if (cached := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
            return cached
        n = await self._ask(text)
        if n is None:
            return estimate_tokens(text)
        self._cache[text] = n
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return n

    async def _ask(self, text: str) -> int | None:
        if self._missing:
            return None
        root = self._root()
        paths = [self._path] if self._path else list(_PATHS)
        body = {"model": self._model, "prompt": text, "add_special_tokens": False}
        for path in paths:
            url = f"{root}{path}"
            try:
                async with self._sem:
                    resp = await self._client.post(url, json=body, headers=self._headers())
            except httpx.HTTPError as e:
                log.debug("tokenize at %s failed: %s", url, e)
                return None  # transient: estimate this once, try the server again next time
            if resp.status_code == 200:
                try:
                    n = int(resp.json()["count"])
                except (ValueError, KeyError, TypeError):
                    continue
                if self._path is None:
                    self._path = path
                    log.info("token counts: the model's tokenizer via POST %s", url)
                return n
            if resp.status_code not in (404, 405, 501):
                log.debug("tokenize at %s: HTTP %s", url, resp.status_code)
                return None
        self._missing = True
        log.warning(
            "token counts: %s has no /tokenize endpoint; using the estimate ceil(chars / 3.5) "
            "from pacore_core.tokens",
            root,
        )
        return None
