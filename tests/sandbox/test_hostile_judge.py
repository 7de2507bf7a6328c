"""Hostile programs against checkers and interactors, under runc and gVisor (runsc) and on
the local backend: a 100 MB flood to an interactor, a program that closes its stdin early
(plain and interactive), one that kills the interactor, one that leaves a process holding
the pipe. Each ends with the program's verdict, never a hang, a judge error or a dead
supervisor, and leaves no process behind. In a container the interactor runs as its own
user: a program can neither kill it nor read the files it was given (the secret)."""

from __future__ import annotations

import pytest

from sandbox import Candidate, IOSuite, IOTest, Limits, Sandbox
from sandbox.models import JudgeProgram
from tests.sandbox.test_hostile import _container_processes, _local_leftovers
from tests.support.judge_problems import GUESS_INTERACTOR_PY

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIMITS = Limits(timeout_s=3.0, memory_mb=256, output_kb=256)
GUESS = IOSuite(tests=[IOTest(name="g", input="37\n", expected="\n")], interactor=JudgeProgram(
    convention="kattis", language="python", main="i.py", files={"i.py": GUESS_INTERACTOR_PY}))  # fmt: skip
BIG_INPUT = IOSuite(tests=[IOTest(name="big", input="1\n" * 600_000, expected="ok\n")])

KILL_THE_INTERACTOR = (
    "import os, signal, time\nprint(50, flush=True)\ntime.sleep(0.5)\n"
    "for p in os.listdir('/proc'):\n    if p.isdigit() and int(p) not in (os.getpid(), 1):\n"
    "        try:\n            os.kill(int(p), signal.SIGKILL)\n        except OSError:\n            pass\n")
# guesses 50, then the secret if it can read it anywhere (accepted), else 1 (and stops)
READ_THE_SECRET = (
    "import glob, os\nprint(50, flush=True)\ninput()\nfound = None\n"
    "paths = glob.glob('/tmp/judge-*/input') + glob.glob('/tmp/*/judge-*/input')\n"
    "paths += [f'/proc/{p}/cwd/input' for p in os.listdir('/proc') if p.isdigit()]\n"
    "for path in paths:\n    try:\n        found = open(path).read().split()[0]\n        break\n"
    "    except (OSError, IndexError):\n        pass\nprint(found or 1, flush=True)\n")

# (name, program, suite, verdict, text in the message)
CASES = [
    ("flood_100mb_to_interactor",
     "import sys\nchunk = 'x' * (1 << 20)\n"
     "for _ in range(100):\n    sys.stdout.write(chunk)\nsys.stdout.flush()\n",
     GUESS, "output_limit", "wrote more than 256 KB to the interactor"),
    ("close_stdin_then_answer", "import os\nos.close(0)\nprint('ok')\n", BIG_INPUT, "passed", None),
    ("close_stdin_interactive", "import os\nos.close(0)\nprint(50, flush=True)\n",
     GUESS, "failed", "the program stopped after 1 guesses"),
    # in a container the interactor is another user's: the kill fails, the game goes on
    ("kill_the_interactor", KILL_THE_INTERACTOR, GUESS, "failed", "the program stopped after 1 guesses"),
    # ... and its files (the secret in its input, its answer) are not the program's to read
    ("read_the_interactors_files", READ_THE_SECRET, GUESS, "failed", "the program stopped after 2 guesses"),
    ("orphan_holds_the_pipe",
     "import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n    sys.exit(0)\n"
     "print(50, flush=True)\n",
     GUESS, "failed", "the program stopped after 1 guesses"),
    ("stderr_flood_while_interacting",
     "import sys\nprint(50, flush=True)\nwhile True:\n    sys.stderr.write('e' * 65536)\n",
     GUESS, "output_limit", "stderr"),
]  # fmt: skip


async def _check(sandbox: Sandbox, backend: str, name: str, code: str, suite: IOSuite, verdict: str,
                 text: str | None) -> None:
    result = await sandbox.run(Candidate(code=code), suite, LIMITS)
    dump = result.model_dump_json(indent=1)[:2500]
    assert result.verdict == verdict, dump
    if text is not None:
        assert text in (result.tests[0].message or ""), dump
    assert result.duration_s < 20, dump  # contained by a limit, not by the host watchdog
    if backend == "local":
        assert _local_leftovers() == []
    else:
        busy = {c: n for c, n in _container_processes().items() if n > 1}
        assert busy == {}, f"processes left in sandbox containers: {busy}"


@pytest.mark.docker
@pytest.mark.parametrize(("name", "code", "suite", "verdict", "text"), CASES, ids=[c[0] for c in CASES])
async def test_hostile_judge_docker(runtime: str, runtime_sandbox: Sandbox, name: str, code: str,
                                   suite: IOSuite, verdict: str, text: str | None) -> None:
    await _check(runtime_sandbox, "docker", name, code, suite, verdict, text)


# the local backend runs programs as the caller, without a PID namespace: a program that
# signals every process it can see would signal the caller's own processes; and the
# interactor is the caller's too (one user: its files are readable)
LOCAL_CASES = [c for c in CASES if c[0] not in ("kill_the_interactor", "read_the_interactors_files")]


@pytest.mark.parametrize(("name", "code", "suite", "verdict", "text"), LOCAL_CASES,
                         ids=[c[0] for c in LOCAL_CASES])  # fmt: skip
async def test_hostile_judge_local(local_sandbox: Sandbox, name: str, code: str, suite: IOSuite,
                                  verdict: str, text: str | None) -> None:
    await _check(local_sandbox, "local", name, code, suite, verdict, text)
