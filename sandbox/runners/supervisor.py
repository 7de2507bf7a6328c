"""In-sandbox supervisor: the job loop. Reads one JSON job per stdin line, unpacks the
candidate's files, hands the suite to its runner, resets the sandbox, and answers with
one JSON line on stdout.

Why a long-lived supervisor: it is PID 1 of a warm container (or a subreaper process
locally) and keeps pytest imported, so a candidate costs a fork, not a container or an
interpreter start. The other runner modules beside this file hold the parts: process
control (proc_control), one test process (child_process), the suites and crash
classification (suite_runners), the reset between jobs (job_reset).

Stdlib only: this folder runs in the sandbox image's python3 as well as in the host's
interpreter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import identity  # noqa: E402
from job_reset import reset  # noqa: E402
from proc_control import HardeningError, harden_self, kill_descendants  # noqa: E402
from protocol import CHANNEL  # noqa: E402
from suite_runners import (  # noqa: E402
    Progress,
    compile_program,
    no_progress,
    run_check,
    run_io,
    run_pytest,
)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Regular files and directories with relative, non-escaping names only."""
    members = []
    for member in tar.getmembers():
        name = os.path.normpath(member.name)
        if name.startswith(("/", "..")) or not (member.isfile() or member.isdir()):
            continue
        member.mode = 0o755 if member.isdir() else 0o644
        members.append(member)
    return members


def _archive(job: dict[str, Any], kept: dict[str, bytes]) -> bytes | None:
    """The project archive: sent with the job, or kept from an earlier job of the same
    solve (the host then sends only the candidate's overlay). Only the latest is kept."""
    ident, encoded = job.get("archive_id"), job.get("archive")
    if encoded:
        import base64  # project mode only: keep the supervisor's start-up lean

        data = base64.b64decode(encoded)
        if ident:
            kept.clear()
            kept[ident] = data
        return data
    if ident:
        if ident not in kept:
            raise RuntimeError(f"project snapshot {ident} was not sent to this sandbox")
        return kept[ident]
    return None


def _unpack(job: dict[str, Any], kept: dict[str, bytes]) -> None:
    """The candidate's files, made as the candidate (identity.py): its directory is its own."""
    with identity.acting_as(identity.CANDIDATE):
        _unpack_files(job, kept)


def _unpack_files(job: dict[str, Any], kept: dict[str, bytes]) -> None:
    workdir = job["workdir"]
    os.makedirs(workdir, exist_ok=True)
    archive = _archive(job, kept)
    if archive:
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            members = _safe_members(tar)
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: the standard library vets too
                tar.extractall(workdir, members=members, filter="data")
            else:  # Debian's 3.11.2 predates extraction filters: members are vetted by hand
                tar.extractall(workdir, members=members)  # noqa: S202  (vetted by _safe_members)
    for rel, content in (job.get("files") or {}).items():
        path = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)
    prebuilt = job.get("prebuilt") or {}
    if prebuilt:  # what an earlier job's compiler made of these very files (sandbox/build_cache.py)
        import base64

        for rel, encoded in prebuilt.items():
            path = os.path.normpath(os.path.join(workdir, rel))
            if not path.startswith(os.path.join(os.path.normpath(workdir), "")):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(base64.b64decode(encoded))
            os.chmod(path, 0o755)  # noqa: S103  (a program the candidate's user runs, as the compiler made it)


BUILT_CAP = 16 << 20  # bytes of compiler output sent back to be reused; beyond: rebuilt each time


def _listing(workdir: str) -> dict[str, tuple[int, int]]:
    """Every file under `workdir`: relative path -> (size, mtime in ns)."""
    out = {}
    for root, _dirs, files in os.walk(workdir):
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if not os.path.islink(path):
                    out[os.path.relpath(path, workdir)] = (st.st_size, st.st_mtime_ns)
    return out


def _built(workdir: str, before: dict[str, tuple[int, int]]) -> dict[str, str] | None:
    """The files the compiler made (new or changed since `before`), base64, or None when
    they are too big to send back."""
    import base64

    out, total = {}, 0
    for rel, stat in _listing(workdir).items():
        if before.get(rel) == stat or any(part.startswith(".") for part in rel.split(os.sep)):
            continue  # unchanged, or a tool's cache (Go's build cache under $HOME/.cache)
        total += stat[0]
        if total > BUILT_CAP:
            return None
        with open(os.path.join(workdir, rel), "rb") as fh:
            out[rel] = base64.b64encode(fh.read()).decode()
    return out


def run_job(
    job: dict[str, Any],
    progress: Progress = no_progress,
    kept: dict[str, bytes] | None = None,
    alive: Progress = no_progress,
) -> dict[str, Any]:
    """Run one job; `progress` hears of each finished test (streamed to the host, whose
    watchdog extends while results keep coming); `alive` of each finished probe (behaviour,
    not a test: the host only moves its watchdog, so a run cut short never mistakes a probe
    for a test result); `kept` holds the project archive between jobs of one container."""
    _unpack(job, {} if kept is None else kept)
    kind = job["suite"]["kind"]
    compile_output = None
    built = None
    if (job.get("build") or {}).get("compile"):
        # `return_build`: the host keeps the compiler's output and sends it with the next
        # jobs of the same program (read now, before any of the candidate's code runs)
        before = _listing(job["workdir"]) if job.get("return_build") else None
        ok, compile_output = compile_program(job)
        if not ok:
            return {"compile_error": True, "compile_output": compile_output, "results": [], "compiled": True}
        if before is not None:
            built = _built(job["workdir"], before)
    if kind == "io":
        results = run_io(job, progress)
    elif kind == "check":
        results = run_check(job, progress)
    elif kind == "probe":  # execution agreement: generated inputs, no expected outputs
        from run_probe import run_probe

        results = run_probe(job, progress)
    elif kind == "calls":  # data mode: calls whose results the host compares
        from run_calls import run_calls

        results = run_calls(job, progress)
    else:
        results = run_pytest(job, progress)
    response: dict[str, Any] = {"results": results, "compile_output": compile_output}
    if compile_output is not None:
        response["compiled"] = True
    if built is not None:
        response["built"] = built
    if job.get("probes"):  # execution agreement, same pass: the candidate is unpacked and built
        from run_probe import run_probe

        response["probe_results"] = run_probe({**job, "suite": job["probes"]}, alive)
    return response


def _write(obj: dict[str, Any]) -> None:
    """One JSON line on fd 1, every byte of it.

    Why not `sys.stdout.write`: under `python3 -u` that is one raw write(2), and gVisor's
    stdout (a host pipe) takes at most 64 KB per call, so a longer answer lost its tail and
    the host waited for a newline that never came. Loop until all is written.
    """
    nonce = CHANNEL.get("nonce")
    if nonce is not None:
        obj = {**obj, "nonce": nonce}
    data = memoryview((json.dumps(obj) + "\n").encode())
    while data:
        try:
            written = os.write(1, data)
        except BlockingIOError:
            select.select([], [1], [], 1.0)
            continue
        data = data[written:]


def _progress(result: dict[str, Any]) -> None:
    _write({"progress": result})


def _alive(result: dict[str, Any]) -> None:
    _write({"alive": result.get("name")})


def serve(scratch: list[str], *, preload: bool) -> None:
    """Serve jobs until stdin closes (the container's main process)."""
    if preload:
        # pytest is imported on the first pytest job (suite_runners.run_pytest), not here: a
        # bigger parent makes every fork slower (measured: a HumanEval check round trip went
        # from ~6-16 ms to ~5-8 ms without it), and a container serves one kind of suite
        with contextlib.suppress(Exception):
            import run_calls  # noqa: F401  # data mode, most HumanEval-style checks
            import run_check  # noqa: F401
        import guard  # the harness's code objects, walked once while the pool fills

        guard.prepare()
    _write({"ready": True, "pid": os.getpid()})
    kept: dict[str, bytes] = {}  # the project snapshot of the solve this container serves
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            del line  # it holds the nonce: no frame a test process inherits may
            CHANNEL["nonce"] = str(job.pop("nonce", "") or "")
            response = run_job(job, _progress, kept, _alive)
        except Exception as exc:
            response = {"sandbox_error": f"{type(exc).__name__}: {exc}", "results": []}
        response["reusable"] = reset(scratch)
        _write(response)
        CHANNEL.clear()


def once(workdir: str) -> None:
    """Run a single job read from stdin (the local backend)."""
    job = json.loads(sys.stdin.readline())
    job["workdir"] = workdir
    for path in job.get("site_paths") or []:
        if path not in sys.path:
            sys.path.append(path)
    try:
        response = run_job(job, _progress, alive=_alive)
    except Exception as exc:
        response = {"sandbox_error": f"{type(exc).__name__}: {exc}", "results": []}
    kill_descendants()
    _write(response)


def main() -> None:
    single = len(sys.argv) >= 3 and sys.argv[1] == "--once"
    if not single and os.getpid() != 1:
        # serve mode wipes /tmp and /dev/shm between jobs: only as a container's main process
        sys.stderr.write("supervisor: serving jobs wipes /tmp and /dev/shm between them, so it runs "
                         "only as a sandbox container's main process (PID 1); on a host use "
                         "`--once WORKDIR`\n")
        sys.exit(2)
    try:
        harden_self()
        if not single:  # the container: the candidate and the judge get their own users
            identity.enable()
    # never run a candidate beside a readable supervisor, nor as root
    except (HardeningError, identity.IdentityError) as exc:
        reason = f"the sandbox supervisor could not harden itself: {exc}"
        _write({"sandbox_error": reason, "results": []} if single else {"ready": False, "error": reason})
        sys.exit(3)
    # a program that closes its stdin early must not take the supervisor down with SIGPIPE
    # when the rest of its input (or an interactor's answer) is written: the write fails with
    # EPIPE instead, and the test goes on. Test processes get the default back (spawn).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if single:
        once(sys.argv[2])
    else:
        # the container's own tmpfs mounts, emptied between jobs
        scratch = [p for p in ("/tmp", "/dev/shm", "/dev/mqueue") if os.access(p, os.W_OK)]  # noqa: S108
        serve(scratch, preload="--no-preload" not in sys.argv)


if __name__ == "__main__":
    main()
