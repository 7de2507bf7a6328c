"""Several model endpoints: least-outstanding routing, failed endpoints rest, all-down errors."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from pacore_core.backends.base import BackendError, SampleRequest, Trajectory
from pacore_core.backends.endpoints import EndpointPool
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.retry import RetryPolicy
from tests.support import Error, Hang, Reply, ScriptedServer

MESSAGES = [{"role": "user", "content": "Write add(a, b) in Python."}]


def request(n: int) -> SampleRequest:
    return SampleRequest(messages=MESSAGES, n=n)  # type: ignore[arg-type]


def backend(urls: list[str], **kw: Any) -> OpenAIBackend:
    kw.setdefault("retry", RetryPolicy(max_retries=2, base_s=0.01, max_s=0.02))
    return OpenAIBackend(urls, "scripted-model", use_n=False, **kw)


async def collect(b: OpenAIBackend, n: int) -> list[Trajectory]:
    return [t async for t in b.sample(request(n))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(condition: Any, what: str) -> None:
    """Poll `condition` (a guard against hanging, not a timing assertion)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the routing rule, without a network ----------------------------------------------------


def test_least_outstanding_wins_and_ties_rotate() -> None:
    pool = EndpointPool(["http://a/v1", "http://b/v1", "http://c/v1"])
    with pool.lease() as first, pool.lease() as second, pool.lease() as third:
        assert [first.url, second.url, third.url] == ["http://a/v1", "http://b/v1", "http://c/v1"]
        with pool.lease() as fourth:  # all have one in flight: the rotation continues at a
            assert fourth.url == "http://a/v1"
    with pool.lease() as a, pool.lease() as b:
        a_url, b_url = a.url, b.url
        with pool.lease() as c:
            assert c.outstanding == 1 and c.url not in (a_url, b_url)
    assert [e.outstanding for e in pool.endpoints] == [0, 0, 0]


def test_a_failed_endpoint_rests_then_gets_a_request_again() -> None:
    clock = Clock()
    pool = EndpointPool(["http://a/v1", "http://b/v1"], cooldown_s=10, max_cooldown_s=25, clock=clock)
    a = pool.endpoints[0]
    pool.failed(a, "connection refused")
    assert [pool.pick().url for _ in range(3)] == ["http://b/v1"] * 3
    clock.now += 10
    assert "http://a/v1" in {pool.pick().url for _ in range(2)}
    pool.failed(a, "connection refused")  # second failure in a row: twice the rest
    clock.now += 19
    assert not pool.is_up(a)
    pool.failed(a, "refused")  # third: capped at max_cooldown_s
    assert a.down_until == clock.now + 25
    pool.succeeded(a)
    assert pool.is_up(a) and a.failures == 0


def test_when_all_are_down_the_one_back_soonest_is_used() -> None:
    clock = Clock()
    pool = EndpointPool(["http://a/v1", "http://b/v1"], cooldown_s=10, clock=clock)
    pool.failed(pool.endpoints[0], "x")
    clock.now += 1
    pool.failed(pool.endpoints[1], "y")
    assert pool.all_down() and pool.pick().url == "http://a/v1"
    assert pool.describe() == "http://a/v1 (x); http://b/v1 (y)"


def test_duplicate_and_blank_urls_collapse() -> None:
    pool = EndpointPool(["http://a/v1/", "http://a/v1", " "])
    assert pool.urls == ["http://a/v1"]
    with pytest.raises(ValueError):
        EndpointPool([])


# -- over HTTP ---------------------------------------------------------------------------------


async def test_two_endpoints_share_the_load() -> None:
    everyone_in = threading.Barrier(8, timeout=20)  # every request is in flight at once

    def responder(req: dict[str, Any], choice: int, call: int) -> Reply:
        everyone_in.wait()
        return Reply("ok")

    with ScriptedServer(responder) as a, ScriptedServer(responder) as b:
        be = backend([a.base_url, b.base_url], max_concurrency=8)
        trajs = await collect(be, 8)
        await be.close()
        calls = (a.calls, b.calls)
    assert calls == (4, 4) and all(t.ok for t in trajs)


async def test_requests_go_to_the_endpoint_with_the_fewest_outstanding() -> None:
    release = threading.Event()

    def held(req: dict[str, Any], choice: int, call: int) -> Reply:
        release.wait(20)
        return Reply("held")

    with ScriptedServer(held) as a, ScriptedServer("fast") as b:
        be = backend([a.base_url, b.base_url], max_concurrency=2)
        first = asyncio.create_task(collect(be, 1))  # goes to a (tie, a first) and stays there
        await wait_until(lambda: a.calls == 1, "the held request")
        later = [await collect(be, 1) for _ in range(4)]  # one at a time, a still busy
        calls_while_held = (a.calls, b.calls)
        release.set()
        held_trajs = await first
        await be.close()
    assert calls_while_held == (1, 4)
    assert [t.content for t in held_trajs] == ["held"]
    assert [t[0].content for t in later] == ["fast"] * 4


async def test_killing_one_endpoint_mid_run_still_completes_the_run() -> None:
    b_holds = threading.Event()

    def dying(req: dict[str, Any], choice: int, call: int) -> Hang:
        if call == 0:
            b_holds.set()
        return Hang()

    with ScriptedServer(Reply("from a", latency_s=0.05)) as a, ScriptedServer(dying) as b:
        be = backend([a.base_url, b.base_url], max_concurrency=4)
        run = asyncio.create_task(collect(be, 8))
        await wait_until(b_holds.is_set, "a request on b")
        b.kill()  # its open requests are cut, new connections refused
        trajs = await run
        await be.close()
        await wait_until(lambda: not b.running, "b to stop")
        calls = (a.calls, b.calls)
    assert sorted(t.index for t in trajs) == list(range(8))
    assert all(t.ok and t.content == "from a" for t in trajs)
    assert calls[0] == 8 and calls[1] >= 1
    assert not a.running and not b.running


async def test_one_url_fails_and_recovers_as_before() -> None:
    def flaky(req: dict[str, Any], choice: int, call: int) -> Error | Reply:
        return Error(503, "warming up") if call < 2 else Reply("ok")

    with ScriptedServer(flaky) as a:
        be = backend([a.base_url])
        trajs = await collect(be, 1)
        await be.close()
        calls = a.calls
    assert calls == 3 and trajs[0].ok


async def test_all_endpoints_unreachable_is_one_clear_error() -> None:
    urls = [f"http://127.0.0.1:{free_port()}/v1", f"http://127.0.0.1:{free_port()}/v1"]
    be = backend(urls)
    with pytest.raises(BackendError) as info:
        await collect(be, 2)
    await be.close()
    msg = str(info.value)
    assert "any of the 2 model servers" in msg and all(u in msg for u in urls)
    assert "connection refused" in msg and info.value.setting == "base_url"


async def test_all_endpoints_failing_is_one_clear_error() -> None:
    with ScriptedServer(Error(500, "broken a")) as a, ScriptedServer(Error(502, "broken b")) as b:
        be = backend([a.base_url, b.base_url])
        with pytest.raises(BackendError) as info:
            await collect(be, 2)
        await be.close()
    msg = str(info.value)
    assert msg.startswith("all 2 model endpoints are down")
    assert f"{a.base_url} (HTTP 500: broken a)" in msg and f"{b.base_url} (HTTP 502: broken b)" in msg
