"""Engine runs against a failing model: late failures keep a verified answer, calls are counted.

Real Docker sandbox, scripted model server; retry waits and timeouts are configured short.
"""

from __future__ import annotations

import pytest

from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.retry import RetryPolicy
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.events import Event, ModelRetrying, RunFinished
from pacore_core.record import RunResult
from sandbox.base import Sandbox
from tests.core.test_engine import GOOD, make_problem
from tests.support import Error, Hang, Reply, ScriptedServer, by_round, fail_first

pytestmark = pytest.mark.docker


async def solve(srv: ScriptedServer, sandbox: Sandbox, config: RunConfig, events: list[Event] | None = None,
                **kw: object) -> RunResult:
    retry = RetryPolicy(max_retries=4, base_s=0.01, max_s=0.02)
    backend = OpenAIBackend(srv.base_url, srv.model, retry=retry, **kw)  # type: ignore[arg-type]
    try:
        engine = Engine(backend, sandbox, config, on_event=events.append if events is not None else None)
        return await engine.solve(make_problem())
    finally:
        await backend.close()


async def test_a_failing_final_round_keeps_the_verified_answer(docker_sandbox) -> None:
    with ScriptedServer(by_round(GOOD, Error(500, "synthesis crashed"))) as srv:
        result = await solve(srv, docker_sandbox, RunConfig(rounds=[2]))
        calls = srv.calls
    assert result.status == "solved" and result.error is None
    assert result.code is not None and "return a + b" in result.code
    assert result.selected.source == "candidate" and result.verification.ok
    assert len(result.warnings) == 1 and "synthesis crashed" in result.warnings[0]
    assert [len(r.trajectories) for r in result.rounds] == [2, 1]  # the failed round is recorded
    assert result.model_calls == calls == 1 + 5


async def test_a_failing_round_without_a_verified_answer_is_an_error(docker_sandbox) -> None:
    bad = "```python\ndef add(a, b):\n    return a - b\n```"
    with ScriptedServer(by_round(bad, Error(500, "synthesis crashed"))) as srv:
        result = await solve(srv, docker_sandbox, RunConfig(rounds=[2]))
    assert result.status == "error" and "synthesis crashed" in (result.error or "")
    assert result.warnings == []


async def test_five_http_500s_are_five_model_calls(docker_sandbox) -> None:
    events: list[Event] = []
    with ScriptedServer(Error(500, "GPU on fire")) as srv:
        result = await solve(srv, docker_sandbox, RunConfig(rounds=[2]), events)
        calls = srv.calls
    assert result.status == "error" and "GPU on fire" in (result.error or "")
    assert "after 5 attempts" in (result.error or "")
    assert result.model_calls == calls == 5
    retries = [e for e in events if isinstance(e, ModelRetrying)]
    assert [(e.round, e.attempt, e.attempts) for e in retries] == [(1, 2, 5), (1, 3, 5), (1, 4, 5), (1, 5, 5)]
    assert isinstance(events[-1], RunFinished) and events[-1].status == "error"


async def test_a_hung_request_is_retried_visibly_and_the_run_solves(docker_sandbox) -> None:
    events: list[Event] = []
    with ScriptedServer(fail_first(1, Reply(GOOD), Hang(headers=True))) as srv:
        result = await solve(srv, docker_sandbox, RunConfig(rounds=[2], stream=True), events,
                             stream=True, first_token_timeout_s=0.3)
        calls = srv.calls
    assert result.status == "solved"
    retries = [e for e in events if isinstance(e, ModelRetrying)]
    assert len(retries) == 1 and retries[0].no_answer and retries[0].attempt == 2
    assert "no answer yet" in retries[0].describe()
    assert result.model_calls == calls == 3  # the hung request, its retry, the final round
