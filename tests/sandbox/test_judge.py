"""Checkers and interactors in the Docker sandbox (one shared sandbox for the module):
both conventions, the verdict order of interactive tests, judge errors blamed on the
problem, and the idleness limit of a program that forgot to flush."""

from __future__ import annotations

import pytest

from sandbox import Candidate, IOSuite, IOTest, Limits, Sandbox
from sandbox.models import JudgeProgram
from tests.support.judge_problems import (
    GUESS_GOOD,
    GUESS_INTERACTOR_PY,
    GUESS_LINEAR,
    GUESS_NO_FLUSH,
    SPLIT_GOOD,
    SPLIT_WRONG,
    TESTLIB_CHECKER_CPP,
    VALIDATE_CPP,
    VALIDATE_H,
)

pytestmark = [pytest.mark.docker, pytest.mark.asyncio(loop_scope="module")]

LIMITS = Limits(timeout_s=4)
SPLIT_TESTS = [IOTest(name="five", input="5\n", expected="0 5\n"),
               IOTest(name="zero", input="0\n", expected="0 0\n")]  # fmt: skip
KATTIS_CPP = JudgeProgram(convention="kattis", language="cpp", main="validate.cpp",
                          files={"validate.cpp": VALIDATE_CPP, "validate.h": VALIDATE_H})  # fmt: skip
TESTLIB_CPP = JudgeProgram(convention="testlib", language="cpp", main="checker.cpp",
                           files={"checker.cpp": TESTLIB_CHECKER_CPP})  # fmt: skip
GUESS = JudgeProgram(convention="kattis", language="python", main="interactor.py",
                     files={"interactor.py": GUESS_INTERACTOR_PY})  # fmt: skip
GUESS_TESTS = [IOTest(name="x37", input="37\n", expected="\n"),
               IOTest(name="x100", input="100\n", expected="\n", checker_args=["7"])]  # fmt: skip


def python_checker(body: str) -> JudgeProgram:
    source = "import sys\ninp, out, ans = (open(p).read() for p in sys.argv[1:4])\n" + body
    return JudgeProgram(convention="testlib", language="python", main="checker.py",
                        files={"checker.py": source})  # fmt: skip


async def run(sandbox: Sandbox, code: str, suite: IOSuite, limits: Limits = LIMITS):  # type: ignore[no-untyped-def]
    return await sandbox.run(Candidate(code=code), suite, limits)


@pytest.mark.parametrize("checker", [KATTIS_CPP, TESTLIB_CPP], ids=["kattis-cpp", "testlib-cpp"])
async def test_a_right_answer_unlike_the_answer_file_is_accepted(docker_sandbox: Sandbox,
                                                                 checker: JudgeProgram) -> None:
    suite = IOSuite(tests=SPLIT_TESTS, checker=checker)
    good = await run(docker_sandbox, SPLIT_GOOD, suite)
    assert good.verdict == "passed" and good.passed == 2, [t.message for t in good.tests]
    plain = await run(docker_sandbox, SPLIT_GOOD, IOSuite(tests=SPLIT_TESTS))
    assert plain.verdict == "failed"  # what the exact compare says of the same program
    wrong = await run(docker_sandbox, SPLIT_WRONG, suite)
    assert wrong.verdict == "failed"
    first = wrong.tests[0]
    assert first.status == "failed" and first.actual == "5 1\n" and first.expected == "0 5\n"
    feedback = "5 + 1 = 6, not 5" if checker.convention == "kattis" else "wrong answer: 5 + 1 != 5"
    assert feedback in (first.message or "")


async def test_testlib_presentation_error_and_checker_failures_are_judge_errors(
    docker_sandbox: Sandbox,
) -> None:
    pe = await run(docker_sandbox, "print('five')", IOSuite(tests=SPLIT_TESTS[:1], checker=TESTLIB_CPP))
    assert pe.verdict == "presentation_error" and "expected two integers" in (pe.tests[0].message or "")
    for body, said in [("print('answer file is broken', file=sys.stderr); sys.exit(3)", "exit code 3 (fail)"),
                       ("raise RuntimeError('checker bug')", "RuntimeError: checker bug"),
                       ("import time; time.sleep(60)", "exceeded its 2.0 s")]:  # fmt: skip
        checker = python_checker(body).model_copy(update={"timeout_s": 2.0})
        verdict = await run(docker_sandbox, SPLIT_GOOD, IOSuite(tests=SPLIT_TESTS[:1], checker=checker))
        test = verdict.tests[0]
        assert verdict.verdict == "judge_error" and test.status == "judge_error", test
        assert "the problem's checker failed, not the program" in (test.message or "")
        assert said in (test.message or ""), test.message
    broken = TESTLIB_CPP.model_copy(update={"files": {"checker.cpp": "int main( {"}})
    verdict = await run(docker_sandbox, SPLIT_GOOD, IOSuite(tests=SPLIT_TESTS, checker=broken))
    assert [t.status for t in verdict.tests] == ["judge_error", "judge_error"]
    assert "did not build" in (verdict.tests[0].message or "") and "error" in (verdict.tests[0].message or "")


async def test_the_checker_never_sees_the_candidates_process_or_files(docker_sandbox: Sandbox) -> None:
    # the program leaves a process behind and plants a file where a careless checker might
    # look; the checker sees neither (it runs after every candidate process is killed, in
    # a fresh directory)
    sneaky = ("import os, subprocess, sys\nn = int(input())\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'],\n"
              "                 start_new_session=True)\n"
              "open('verdict.txt', 'w').write('forged')\nprint(n, 0)\n")  # fmt: skip
    body = ("import os\nprocs = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            "cmdlines = [open(f'/proc/{p}/cmdline', 'rb').read() for p in procs\n"
            "            if os.path.exists(f'/proc/{p}/cmdline')]\n"
            "leftover = any(b'time.sleep(30)' in c for c in cmdlines)\n"
            "print(f'leftover={leftover} planted={os.path.exists(\"verdict.txt\")}', file=sys.stderr)\n"
            "sys.exit(1 if leftover or os.path.exists('verdict.txt') else 0)\n")  # fmt: skip
    verdict = await run(docker_sandbox, sneaky, IOSuite(tests=SPLIT_TESTS[:1], checker=python_checker(body)))
    assert verdict.verdict == "passed", verdict.tests[0].message
    assert "leftover=False planted=False" in (verdict.tests[0].message or "")


async def test_interactive_accepted_and_wrong_with_the_transcript_tail(docker_sandbox: Sandbox) -> None:
    suite = IOSuite(tests=GUESS_TESTS, interactor=GUESS)
    good = await run(docker_sandbox, GUESS_GOOD, suite)
    assert good.verdict == "passed" and good.passed == 2, [t.message for t in good.tests]
    slow = await run(docker_sandbox, GUESS_LINEAR, suite)
    assert [t.status for t in slow.tests] == ["failed", "failed"], [t.message for t in slow.tests]
    message = slow.tests[1].message or ""
    assert "no correct guess in 7 guesses" in message  # the group's validator argument
    assert "last exchanges (> program, < interactor):" in message and "> 7\n< higher" in message


async def test_a_deadlocked_program_ends_as_idleness_limit_within_the_time_limit(
    docker_sandbox: Sandbox,
) -> None:
    verdict = await run(docker_sandbox, GUESS_NO_FLUSH, IOSuite(tests=GUESS_TESTS[:1], interactor=GUESS))
    test = verdict.tests[0]
    assert verdict.verdict == "idleness_limit" and test.status == "idleness_limit", test
    assert "missing flush" in (test.message or "")
    assert test.duration_s < LIMITS.timeout_s  # stopped by idleness, not by the clock


async def test_verdict_order_of_interactive_tests(docker_sandbox: Sandbox) -> None:
    suite = IOSuite(tests=GUESS_TESTS[:1], interactor=GUESS)
    # the interactor's wrong answer stands although the program then hangs
    hangs = "import time\nprint('nonsense', flush=True)\ntime.sleep(100)\n"
    verdict = await run(docker_sandbox, hangs, suite)
    assert verdict.verdict == "failed" and "not a number: 'nonsense'" in (verdict.tests[0].message or "")
    # accepted, then the program crashes or runs past its time: its own verdict
    crash = GUESS_GOOD + "raise SystemExit(3)\n"
    assert (await run(docker_sandbox, crash, suite)).verdict == "error"
    spin = GUESS_GOOD + "while True:\n    pass\n"
    assert (await run(docker_sandbox, spin, suite, Limits(timeout_s=2))).verdict == "timeout"
    # the program crashes first: a runtime error, although the interactor then says wrong
    assert (await run(docker_sandbox, "print(1 // 0)", suite)).tests[0].error_type == "ZeroDivisionError"


async def test_testlib_interactor_then_checker(docker_sandbox: Sandbox) -> None:
    interactor = JudgeProgram(convention="testlib", language="python", main="interactor.py", files={
        "interactor.py": "import sys\nx = int(open(sys.argv[1]).read())\nprint(x, flush=True)\n"
                         "got = sys.stdin.readline().strip()\nopen(sys.argv[2], 'w').write(got + '\\n')\n"
                         "sys.exit(0)\n"})  # fmt: skip
    checker = python_checker("sys.exit(0 if out.split() == [str(2 * int(inp))] else 1)\n")
    tests = [IOTest(name="t", input="21\n", expected="")]
    suite = IOSuite(tests=tests, interactor=interactor, checker=checker)
    assert (await run(docker_sandbox, "print(2 * int(input()))", suite)).verdict == "passed"
    assert (await run(docker_sandbox, "print(int(input()))", suite)).verdict == "failed"
