"""A problem's checker or interactor inside the sandbox: built once per job, kept in the
supervisor's memory, and laid out afresh in a new private directory for every run, only
after the candidate's processes are gone.

Why in memory: bytes held by the supervisor no candidate can reach, even where (the local
backend) the candidate runs as the same user as the checker. Why a fresh directory per
run: the checker never sees what the candidate left behind, and the candidate never sees
the checker's files (they exist only while the checker runs). In the container the
checker and interactor also run as their own user (identity.py: uid 65533, not the
candidate's 65534), in a directory of mode 0700 that is theirs: a candidate running beside
an interactor can neither signal nor trace it, nor read its answer file.

Conventions (the host's `JudgeProgram` model says the same):
  testlib  `prog INPUT OUTPUT ANSWER`; exit 0 accepted, 1 wrong answer, 2 (4, 8)
           presentation error, 3 the checker's own failure; stderr is the feedback.
  kattis   `prog INPUT ANSWER FEEDBACK_DIR [args] < OUTPUT`; exit 42 accepted, 43 wrong
           answer; FEEDBACK_DIR/judgemessage.txt (and teammessage.txt) is the feedback.
  kattis_input  an input validator: `prog [args] < INPUT`; exit 42 valid, 43 invalid;
           its stderr (else stdout) is the feedback.
Any other ending (another exit code, a crash, a timeout) is a judge error: the problem's
fault, never the candidate's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from typing import Any

from child_process import spawn
from identity import JUDGE, acting_as
from proc_control import kill_descendants
from supervision import supervise
from trim_text import trim

FEEDBACK_TRIM = 2000
MAX_PROGRAM_BYTES = 64 << 20  # a built checker kept in memory; more is the problem's error
JUDGE_STREAM_CAP = 8 << 20
TESTLIB = {0: "passed", 1: "failed", 2: "presentation_error", 4: "presentation_error",
           8: "presentation_error"}  # fmt: skip
TESTLIB_NAMES = {1: "wrong answer", 2: "presentation error", 3: "fail", 4: "dirt",
                 7: "points", 8: "unexpected eof"}  # fmt: skip
KATTIS = {42: "passed", 43: "failed"}
PY_CRASH = "Traceback (most recent call last):"


class JudgeProgramError(Exception):
    """The problem's program could not be built or laid out: a judge error."""


class Built:
    """A checker/interactor after compilation: every file of its build directory."""

    def __init__(self, spec: dict[str, Any], files: dict[str, tuple[bytes, int]], root: str) -> None:
        self.spec = spec
        self.files = files  # relative path -> (content, mode)
        self.root = root  # where per-run directories are made

    @property
    def role(self) -> str:
        return str(self.spec.get("role") or "checker")


def _judge_root(job: dict[str, Any]) -> str:
    """Beside the job's workdir (a private tmpfs in the container), never inside it."""
    return os.path.dirname(os.path.normpath(job["workdir"])) or "/tmp"  # noqa: S108  (the container's)


def _command(job: dict[str, Any], argv: list[str]) -> list[str]:
    return [job.get("python", "python3") if a == "{python}" else a for a in argv]


def program_limits(job: dict[str, Any], spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    limits = dict(job["limits"])
    limits.update(timeout_s=timeout_s, memory_mb=int(spec.get("memory_mb") or 1024),
                  file_size_mb=max(int(limits["file_size_mb"]), 64))  # fmt: skip
    return limits


def _write_tree(root: str, files: dict[str, tuple[bytes, int]]) -> None:
    for rel, (data, mode) in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode & 0o755)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


def _read_tree(root: str) -> dict[str, tuple[bytes, int]]:
    files: dict[str, tuple[bytes, int]] = {}
    total = 0
    for here, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(here, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                data = fh.read()
            total += len(data)
            if total > MAX_PROGRAM_BYTES:
                raise JudgeProgramError(f"the built program exceeds {MAX_PROGRAM_BYTES >> 20} MB")
            files[os.path.relpath(path, root)] = (data, os.stat(path).st_mode)
    return files


def build(job: dict[str, Any], spec: dict[str, Any]) -> tuple[Built | None, str]:
    """Compile `spec` (when its language needs it) before any candidate test runs; keep the
    result in memory. (None, diagnostic) when it does not build."""
    root = _judge_root(job)
    with acting_as(JUDGE):
        where = tempfile.mkdtemp(prefix="judge-build-", dir=root)
    try:
        with acting_as(JUDGE):
            _write_tree(where, {n: (s.encode(), 0o644) for n, s in spec["files"].items()})
        output = ""
        if spec.get("compile"):
            cmd = _command(job, list(spec["compile"]))
            limits = program_limits(job, spec, float(spec.get("compile_timeout_s") or 60.0))
            limits["file_size_mb"] = max(int(limits["file_size_mb"]), 256)
            child = spawn({**job, "workdir": where}, launcher(spec, cmd), address_space=False,
                          limits=limits, user=JUDGE)  # fmt: skip
            run = supervise(child, timeout_s=limits["timeout_s"], stdout_cap=1 << 20, stderr_cap=1 << 20)
            output = trim(run["stderr"] + run["stdout"], 8000)
            if run["reason"] == "timeout":
                return None, output + "\ncompilation timed out"
            if run["exit_code"] != 0:
                return None, output or f"the compiler exited with {run['exit_code'] or run['signal']}"
        with acting_as(JUDGE):
            files = _read_tree(where)
        return Built(spec, files, root), output
    except (OSError, JudgeProgramError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        kill_descendants()
        remove(where)


def launcher(spec: dict[str, Any], argv: list[str]) -> Any:
    """The spawn target that execs `argv` with the language's environment."""
    from suite_runners import exec_target

    return exec_target(argv, spec.get("env") or {})


def remove(where: str) -> None:
    """Remove a judge directory (as the judge: its files are the judge's)."""
    with acting_as(JUDGE):
        shutil.rmtree(where, ignore_errors=True)


def read_file(where: str, name: str, limit: int = -1) -> bytes:
    """A file the judge program wrote in `where` (b"" when there is none)."""
    with acting_as(JUDGE), contextlib.suppress(OSError), open(os.path.join(where, name), "rb") as fh:
        return fh.read(limit)
    return b""


def lay_out(built: Built, extra: dict[str, bytes]) -> str:
    """A fresh private directory (mode 0700, the judge's) holding the built program, the
    test's files and `feedback/`."""
    try:
        with acting_as(JUDGE):
            where = tempfile.mkdtemp(prefix="judge-", dir=built.root)
            try:
                _write_tree(where, built.files)
                _write_tree(where, {n: (data, 0o644) for n, data in extra.items()})
                os.mkdir(os.path.join(where, "feedback"))
            except OSError:
                shutil.rmtree(where, ignore_errors=True)
                raise
    except OSError as exc:
        raise JudgeProgramError(f"cannot lay out the {built.role}: {exc.strerror}") from None
    return where


def argv_for(job: dict[str, Any], built: Built, test: dict[str, Any], where: str) -> list[str]:
    """The convention's command line (in `where`, holding input/answer/output files)."""
    spec = built.spec
    run = _command(job, list(spec["run"]))
    if spec["convention"] == "testlib":
        return [*run, "input", "output", "answer"]
    if spec["convention"] == "kattis_input":
        return [*run, *spec.get("args", []), *test.get("checker_args", [])]
    feedback = os.path.join(where, "feedback") + os.sep
    return [*run, "input", "answer", feedback, *spec.get("args", []), *test.get("checker_args", [])]


def feedback_text(built: Built, where: str, stderr: str, stdout: str = "") -> str:
    """What the program said: Kattis's judge/team messages, else its stderr (testlib; an
    input validator's stdout when its stderr is empty)."""
    parts = []
    if built.spec["convention"] == "kattis":
        for name in ("judgemessage.txt", "teammessage.txt"):
            data = read_file(where, os.path.join("feedback", name), 64 * 1024)
            text = data.decode("utf-8", "replace").strip()
            if text:
                parts.append(text)
    if not parts and stderr.strip():
        parts.append(stderr.strip())
    if not parts and built.spec["convention"] == "kattis_input" and stdout.strip():
        parts.append(stdout.strip())
    return trim("\n".join(parts), FEEDBACK_TRIM)


JUDGE_ERROR = "judge error (the problem's {role} failed, not the program)"


def judgement(built: Built, run: dict[str, Any], feedback: str) -> tuple[str, str]:
    """(status, message) from how the program ended, by its convention."""
    role = built.role
    said = f": {feedback}" if feedback else ""
    blame = JUDGE_ERROR.format(role=role)
    if run["reason"] == "timeout":
        return "judge_error", f"{blame}: it exceeded its {built.spec.get('timeout_s')} s{said}"
    if run["reason"] == "output_limit":
        return "judge_error", f"{blame}: it flooded its output ({run.get('limit_message')})"
    if run["signal"] is not None:
        try:
            name = signal.Signals(run["signal"]).name
        except ValueError:
            name = str(run["signal"])
        return "judge_error", f"{blame}: it crashed ({name}){said}"
    code = run["exit_code"]
    if code == 1 and built.spec.get("language") == "python" and PY_CRASH in run.get("stderr", feedback):
        # Python exits 1 on an uncaught exception, which testlib reads as "wrong answer":
        # the traceback says it was the checker that broke
        return "judge_error", f"{blame}: it crashed{said}"
    if built.spec["convention"] == "testlib":
        status = TESTLIB.get(code)
        if status is None:
            kind = TESTLIB_NAMES.get(code, "not a testlib verdict")
            return "judge_error", f"{blame}: exit code {code} ({kind}){said}"
        label = "ok" if status == "passed" else TESTLIB_NAMES[code]
        return status, f"{role}: {label}{said}"
    status = KATTIS.get(code)
    if status is None:
        return "judge_error", f"{blame}: exit code {code}, not 42 or 43{said}"
    return status, f"{role}: {'accepted' if status == 'passed' else 'wrong answer'}{said}"


def check(job: dict[str, Any], built: Built, test: dict[str, Any], output: bytes) -> dict[str, Any]:
    """Run the checker on one test's output, after every candidate process is gone."""
    kill_descendants()
    spec = built.spec
    try:
        where = lay_out(built, {"input": test["input"].encode(), "answer": test["expected"].encode(),
                                "output": output})  # fmt: skip
    except JudgeProgramError as exc:
        return {"status": "judge_error", "message": f"{JUDGE_ERROR.format(role=built.role)}: {exc}"}
    try:
        argv = argv_for(job, built, test, where)
        stdin = {"kattis": output, "kattis_input": test["input"].encode()}.get(spec["convention"], b"")
        limits = program_limits(job, spec, float(spec.get("timeout_s") or 30.0))
        child = spawn({**job, "workdir": where}, launcher(spec, argv), stdin_data=stdin, limits=limits,
                      address_space=bool(spec.get("address_space", False)), user=JUDGE)  # fmt: skip
        run = supervise(child, timeout_s=limits["timeout_s"], stdout_cap=JUDGE_STREAM_CAP,
                        stderr_cap=JUDGE_STREAM_CAP)  # fmt: skip
        feedback = feedback_text(built, where, run["stderr"], run["stdout"])
        status, message = judgement(built, run, feedback)
        return {"status": status, "message": message, "checker_s": run["duration_s"]}
    finally:
        kill_descendants()
        remove(where)


def unbuilt(tests: list[dict[str, Any]], role: str, output: str) -> list[dict[str, Any]]:
    """Every test a judge error: the problem's program did not build."""
    message = f"{JUDGE_ERROR.format(role=role)}: it did not build:\n{trim(output, FEEDBACK_TRIM)}"
    return [{"name": t["name"], "status": "judge_error", "message": message, "duration_s": 0.0}
            for t in tests]  # fmt: skip
