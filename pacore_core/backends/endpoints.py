"""Several model endpoints behind one backend: least-outstanding routing, failed ones rest.

A benchmark at high width wants several vLLM replicas. Each HTTP request goes to the
endpoint with the fewest requests in flight (ties rotate, so equal replicas share evenly).
An endpoint that refuses, times out or answers 5xx is taken out for a cool-down that
doubles with each consecutive failure (`COOLDOWN_S` up to `MAX_COOLDOWN_S`); its requests
go to the others meanwhile, and it gets one request again when the cool-down ends. When
every endpoint is out, the one back soonest is used, so a single URL behaves exactly as
before: the retry policy alone decides how often it is tried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

COOLDOWN_S = 15.0
MAX_COOLDOWN_S = 240.0


@dataclass
class Endpoint:
    """One OpenAI API root and what the router knows about it."""

    url: str
    outstanding: int = 0
    failures: int = 0  # consecutive
    down_until: float = 0.0
    last_error: str | None = None
    reached: bool = False  # answered at least once


class EndpointPool:
    """Picks an endpoint per request; callers report how each request went."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        cooldown_s: float = COOLDOWN_S,
        max_cooldown_s: float = MAX_COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        unique = list(dict.fromkeys(u.rstrip("/") for u in urls if u.strip()))
        if not unique:
            raise ValueError("an endpoint pool needs at least one URL")
        self.endpoints = [Endpoint(u) for u in unique]
        self.cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._turn = 0  # where the next tie-break starts

    def __len__(self) -> int:
        return len(self.endpoints)

    @property
    def urls(self) -> list[str]:
        return [e.url for e in self.endpoints]

    @property
    def ever_reached(self) -> bool:
        return any(e.reached for e in self.endpoints)

    def is_up(self, ep: Endpoint) -> bool:
        return ep.down_until <= self._clock()

    def up(self) -> list[Endpoint]:
        return [e for e in self.endpoints if self.is_up(e)]

    def all_down(self) -> bool:
        return not self.up()

    def pick(self) -> Endpoint:
        """The up endpoint with the fewest requests in flight; if none is up, the one back soonest."""
        candidates = self.up() or [min(self.endpoints, key=lambda e: e.down_until)]
        n = len(self.endpoints)
        position = {id(e): i for i, e in enumerate(self.endpoints)}
        best = min(candidates, key=lambda e: (e.outstanding, (position[id(e)] - self._turn) % n))
        self._turn = (position[id(best)] + 1) % n
        return best

    @contextmanager
    def lease(self) -> Iterator[Endpoint]:
        """An endpoint for one request, counted as outstanding until the block ends."""
        ep = self.pick()
        ep.outstanding += 1
        try:
            yield ep
        finally:
            ep.outstanding -= 1

    def succeeded(self, ep: Endpoint) -> None:
        ep.reached = True
        ep.failures = 0
        ep.down_until = 0.0

    def failed(self, ep: Endpoint, cause: str, *, rest_s: float | None = None) -> None:
        """Take `ep` out for the cool-down (or `rest_s`, e.g. a server's Retry-After, if longer)."""
        ep.failures += 1
        ep.last_error = cause
        cooldown = min(self.max_cooldown_s, self.cooldown_s * 2 ** (ep.failures - 1))
        ep.down_until = self._clock() + max(cooldown, rest_s or 0.0)

    def describe(self) -> str:
        """Each endpoint with its last error: for the message when all are down."""
        return "; ".join(f"{e.url} ({e.last_error or 'no answer'})" for e in self.endpoints)
