"""Hostile-program corpus: each program, the verdict it must get per backend, and the
host-side facts to check afterwards.

`{HOST}` in a program becomes a host path unique to the case (it must never appear);
`{LISTEN_HOST}`/`{TCP_PORT}`/`{UDP_PORT}` become the listener of bridge.py (never reached);
`{SECRET}` is never substituted: the secret lives only in the test process's environment.
A backend missing from `expect` means the case is not meaningful there (the local
backend cannot block network, host paths or privilege operations as root), not skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CHECK = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n"
IO_INPUT, IO_OUTPUT = "3\n", "4\n"
PYTEST_FILE = (
    "from solution import f\n\n"
    "def test_one():\n    assert f(1) == 2\n\n"
    "def test_two():\n    assert f(2) == 3\n"
)
GOOD = "def f(x):\n    return x + 1\n"
BOTH = ("docker", "local")


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    expect: dict[str, frozenset[str]]
    kind: Literal["check", "io", "pytest"] = "check"
    language: str = "python"  # a registered language (sandbox.languages)
    host_path: bool = False  # {HOST} must not exist on the host after a grace period
    network: bool = False  # aims at the test's bridge listener ({LISTEN_HOST}, ports): never reached
    max_duration_s: float | None = None
    io_input: str = IO_INPUT
    io_output: str = IO_OUTPUT
    pytest_file: str = PYTEST_FILE
    output_kb: int | None = None
    timeout_s: float | None = None  # per-test limit, instead of the corpus's 2 s
    message_has: str | None = None  # a test's message must contain this (which stream/limit)
    runtime_expect: dict[str, frozenset[str]] = field(default_factory=dict)  # docker, per runtime
    why: dict[str, str] = field(default_factory=dict)  # runtime -> text proving containment
    notes: str = field(default="", compare=False)

    def expected(self, backend: str, runtime: str | None) -> frozenset[str]:
        if backend == "docker" and runtime in self.runtime_expect:
            return self.runtime_expect[runtime]
        return self.expect[backend]

    def contained_because(self, runtime: str | None) -> str | None:
        return self.why.get(runtime) if runtime else None


def _on(backends: tuple[str, ...], *statuses: str) -> dict[str, frozenset[str]]:
    return {b: frozenset(statuses) for b in backends}


CASES: list[Case] = [
    Case("busy_loop", "def f(x):\n    while True:\n        pass\n", _on(BOTH, "timeout")),
    Case("sleep", "import time\ndef f(x):\n    time.sleep(60)\n", _on(BOTH, "timeout")),
    Case(
        "block_on_stdin_function",
        "import sys\ndef f(x):\n    return int(sys.stdin.read() or 'x')\n",
        _on(BOTH, "error"),
    ),
    Case(
        "block_on_stdin_io",
        "import os\nx = input()\nos.read(0, 10)\ny = input()\nprint(int(x) + 1)\n",
        _on(BOTH, "error"),
        kind="io",
    ),
    Case(
        "ignore_sigterm",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "def f(x):\n    while True:\n        pass\n",
        _on(BOTH, "timeout"),
    ),
    Case(
        "fork_bomb",
        "import os\ndef f(x):\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n",
        _on(("docker",), "timeout", "error"),
        runtime_expect={"runsc": frozenset({"timeout", "error", "memory_limit"})},
        notes="local runs as root here: RLIMIT_NPROC does not bind root. gVisor: RLIMIT_NPROC "
        "bounds the processes inside its kernel; their memory is the one sandbox process's, so "
        "the container's memory limit may stop the whole sandbox (memory_limit)",
    ),
    Case(
        "orphan_setsid_acts_later",
        "import os, time\n"
        "def f(x):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(1.5)\n"
        "            open('{HOST}', 'w').write('escaped')\n"
        "        os._exit(0)\n"
        "    return x + 1\n",
        _on(BOTH, "passed"),
        host_path=True,
    ),
    Case(
        "daemon_holds_stdout",
        "import os, time\n"
        "def f(x):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        time.sleep(100)\n"
        "        os._exit(0)\n"
        "    return x + 1\n",
        _on(BOTH, "passed"),
        max_duration_s=1.5,
        notes="a grandchild holding the pipes must not turn a pass into a timeout",
    ),
    Case(
        "thread_bomb",
        "import threading, time\n"
        "def f(x):\n"
        "    while True:\n"
        "        threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n",
        _on(BOTH, "error", "memory_limit", "timeout"),
    ),
    Case(
        "memory_bomb",
        "def f(x):\n    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n",
        _on(BOTH, "memory_limit"),
    ),
    Case(
        "memory_bomb_cpp",
        "#include <vector>\n#include <cstdio>\nint main(){std::vector<std::vector<char>> v;"
        "while(true){v.emplace_back(1<<24, 'x');}}\n",
        _on(BOTH, "memory_limit"),
        kind="io",
        language="cpp",
    ),
    Case("deep_recursion", "def f(x):\n    return f(x) + 1\n", _on(BOTH, "error")),
    Case(
        "deep_recursion_c_stack",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(x):\n    return f(x) + 1\n",
        _on(BOTH, "error", "memory_limit", "timeout"),
    ),
    Case(
        "segfault",
        "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n",
        _on(BOTH, "tampered"),
        notes="ctypes reads raw memory: the guard refuses it before the segfault",
    ),
    Case(
        "segfault_cpp",
        "int main(){ volatile int *p = nullptr; *p = 1; return 0; }\n",
        _on(BOTH, "error"),
        kind="io",
        language="cpp",
    ),
    Case(
        "stdout_flood",
        "def f(x):\n    while True:\n        print('y' * 1000)\n",
        _on(BOTH, "output_limit"),
        message_has="stdout exceeded the output limit of 256 KB",
    ),
    Case(
        "stderr_flood",
        "import sys\ndef f(x):\n    while True:\n        sys.stderr.write('e' * 1000)\n",
        _on(BOTH, "output_limit"),
        message_has="stderr exceeded its flood limit of 8192 KB",
    ),
    Case(
        "stderr_flood_io",
        "import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n",
        _on(BOTH, "output_limit"),
        kind="io",
        message_has="stderr exceeded its flood limit",
        notes="used to stall on gVisor until the 50 s host watchdog",
    ),
    Case(
        "stderr_debug_then_answer",
        "import sys\nfor i in range(3000):\n    sys.stderr.write('debug %d %s\\n' % (i, 'x' * 90))\n"
        "print(int(input()) + 1)\n",
        _on(BOTH, "passed"),
        kind="io",
        notes="300 KB of stderr is drained and trimmed, never a verdict by itself",
    ),
    Case(
        "long_one_line_answer",
        "n = int(input())\nprint('7' * 2_000_000)\n",
        _on(BOTH, "passed"),
        kind="io",
        io_output="7" * 2_000_000 + "\n",
        notes="2 MB answer: the stdout cap is a margin over the largest expected output",
    ),
    Case(
        "answer_then_flood",
        "print(int(input()) + 1)\nwhile True:\n    print('z' * 1000)\n",
        _on(BOTH, "output_limit"),
        kind="io",
    ),
    Case(
        "big_file",
        "def f(x):\n    with open('big.bin', 'wb') as fh:\n        while True:\n"
        "            fh.write(b'0' * 1048576)\n",
        _on(BOTH, "error"),
    ),
    Case(
        "disk_fill_many_files",
        "def f(x):\n    i = 0\n    while True:\n"
        "        open(f'/tmp/fill{i}', 'wb').write(b'0' * 4194304)\n        i += 1\n",
        _on(("docker",), "error"),
        notes="local would fill the host's /tmp",
    ),
    Case(
        "write_host_paths",
        "def f(x):\n    for p in ('/etc/pacore-owned', '/usr/pacore-owned', '{HOST}'):\n"
        "        open(p, 'w').write('owned')\n    return x + 1\n",
        _on(("docker",), "passed", "error"),
        host_path=True,
        notes="/tmp inside the container is its own tmpfs: {HOST} never reaches the host",
    ),
    Case(
        "read_host_file",
        "def f(x):\n    return open('{HOST}.secret').read()\n",
        _on(("docker",), "error"),
    ),
    Case(
        "read_environment",
        "import os\ndef f(x):\n    print(dict(os.environ))\n    return x + 1\n",
        _on(BOTH, "passed"),
    ),
    Case(
        "read_proc_environ",
        "import os\ndef f(x):\n    for pid in os.listdir('/proc'):\n        if pid.isdigit():\n"
        "            try:\n                print(open(f'/proc/{pid}/environ').read())\n"
        "            except OSError:\n                pass\n    return x + 1\n",
        _on(("docker",), "passed"),
    ),
    Case(
        "read_supervisor_fds_and_memory",
        "import os\ndef f(x):\n    opened = []\n    for pid in sorted({1, os.getppid()}):\n"
        "        try:\n            opened.append(f'/proc/{pid}/fd: {os.listdir(f\"/proc/{pid}/fd\")}')\n"
        "        except OSError:\n            pass\n"
        "        try:\n            with open(f'/proc/{pid}/mem', 'rb'):\n"
        "                opened.append(f'/proc/{pid}/mem')\n"
        "        except OSError:\n            pass\n"
        "    assert not opened, f'read the supervisor: {opened}'\n    return x + 1\n",
        _on(("docker",), "tampered"),
        why={"runc": "another process's descriptors", "runsc": "another process's descriptors"},
        notes="the supervisor (PID 1, the test process's parent) runs as root and is non-dumpable, "
        "the candidate as uid 65534 (identity.py): it can neither list its descriptors (the job's "
        "pipes) nor open its memory. Passing means every attempt was refused; local runs as the "
        "caller's uid, often root. Under gVisor (Debian's runsc 2022-12-19) a same-uid candidate "
        "could open /proc/1/fd (not /proc/1/mem) before the users were split. "
        "Issue 25: the guard refuses listing another process's /proc/<pid>/fd "
        "and opening /proc/<pid>/mem from Python (tampered) under both runtimes; a shell the "
        "candidate starts still can under gVisor, and a line it writes on the supervisor's "
        "stdout lacks the job's nonce (test_forgery's supervisor_channel)",
    ),
    Case(
        "read_supervisor_fds_from_a_shell",
        "import subprocess\ndef f(x):\n"
        "    cmd = 'ls /proc/1/fd; head -c 1 /proc/1/mem >/dev/null && echo MEM'\n"
        "    r = subprocess.run(['sh', '-c', cmd], capture_output=True, text=True)\n"
        "    assert not r.stdout.strip(), 'read the supervisor: ' + r.stdout.replace(chr(10), ' ')\n"
        "    return x + 1\n",
        _on(("docker",), "passed"),
        notes="the same reads as read_supervisor_fds_and_memory from a shell, past the Python "
        "guard: the kernel refuses them (another user's process, non-dumpable: runc permission "
        "denied; gVisor invalid argument / permission denied)",
    ),
    Case(
        "network_tcp",
        "import socket\ndef f(x):\n"
        "    socket.create_connection(('{LISTEN_HOST}', {TCP_PORT}), timeout=3).recv(16)\n"
        "    return x + 1\n",
        _on(("docker",), "error"),
        network=True,
        notes="a listener the test opens on a bridge it creates; bridge.py's control reaches it",
    ),
    Case(
        "network_udp",
        "import socket\ndef f(x):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.settimeout(3)\n    s.sendto(b'ping', ('{LISTEN_HOST}', {UDP_PORT}))\n    s.recvfrom(16)\n"
        "    return x + 1\n",
        _on(("docker",), "error"),
        network=True,
        notes="datagrams too (a resolver is a UDP service): the same listener answers them",
    ),
    Case(
        "setuid_root", "import os\ndef f(x):\n    os.setuid(0)\n    return x + 1\n", _on(("docker",), "error")
    ),
    Case(
        "chroot", "import os\ndef f(x):\n    os.chroot('/tmp')\n    return x + 1\n", _on(("docker",), "error")
    ),
    Case(
        "kill_supervisor",
        "import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return x + 1\n",
        {"docker": frozenset({"error"}), "local": frozenset({"error", "passed"})},
        notes="the supervisor runs as root and the candidate as uid 65534 (identity.py): the kill "
        "is refused (PermissionError, the candidate's own error) under runc and gVisor alike. "
        "Before, runc ignored it (PID 1) and gVisor delivered it, stopping the whole sandbox",
    ),
    Case(
        "kill_pid1",
        "import os, signal\ndef f(x):\n    os.kill(1, signal.SIGKILL)\n    os.kill(-1, signal.SIGKILL)\n"
        "    return x + 1\n",
        _on(("docker",), "error", "passed"),
        notes="kill(-1) also kills the test process itself; never run against the host",
    ),
    Case("os_exit_before_tests", "import os\nos._exit(0)\n" + GOOD, _on(BOTH, "error")),
    Case("sys_exit_before_tests", "import sys\nsys.exit(0)\n" + GOOD, _on(BOTH, "error")),
    Case(
        "os_exit_inside_function",
        "import os\ndef f(x):\n    print('all tests passed')\n    os._exit(0)\n",
        _on(BOTH, "error"),
    ),
    Case(
        "pytest_module_skip",
        "import pytest\npytest.skip('nope', allow_module_level=True)\n" + GOOD,
        _on(BOTH, "error", "skipped"),
        kind="pytest",
    ),
    Case(
        "pytest_os_exit",
        "import os\nos._exit(0)\n" + GOOD,
        _on(BOTH, "error"),
        kind="pytest",
    ),
    Case(
        "fake_success_report",
        "import os, sys\nprint('test_sol.py ..  [100%]\\n===== 2 passed in 0.01s =====')\n"
        "sys.stdout.flush()\nos._exit(0)\n" + GOOD,
        _on(BOTH, "error"),
        kind="pytest",
    ),
    Case(
        "pytest_patch_runtest",
        "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None\n"
        "def f(x):\n    return 0\n",
        _on(BOTH, "error", "failed"),
        kind="pytest",
    ),
    Case(
        "pytest_skip_inside",
        "import pytest\ndef f(x):\n    pytest.skip('later')\n",
        _on(BOTH, "skipped"),
        kind="pytest",
    ),
    Case(
        "patch_builtins",
        "import builtins\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.AssertionError = type('X', (Exception,), {})\n"
        "builtins.BaseException = type('Y', (Exception,), {})\n"
        "def f(x):\n    return 0\n",
        _on(BOTH, "failed"),
    ),
    Case(
        "forge_result_channel",
        "import os, json\n"
        "for fd in range(3, 64):\n"
        "    for tok in ('', '0' * 32):\n"
        "        try:\n"
        "            os.write(fd, (json.dumps({'event': 'report', 'nodeid': 'f',"
        " 'status': 'passed', 'token': tok}) + '\\n').encode())\n"
        "        except OSError:\n"
        "            pass\n"
        "os._exit(0)\n",
        _on(BOTH, "tampered"),
        notes="lines without the token are ignored; writing on fd 4, the guard's alarm channel, "
        "condemns the run (tampered). The forgery corpus (forgery.py) forges with the real token",
    ),
    Case(
        "close_stdio_and_spin",
        "import os\ndef f(x):\n    os.close(1)\n    os.close(2)\n    while True:\n        pass\n",
        _on(BOTH, "timeout"),
    ),
    Case(
        "cpp_compile_error",
        "int main() { return x; }\n",
        _on(BOTH, "compile_error"),
        kind="io",
        language="cpp",
    ),
    Case(
        "cpp_busy_loop",
        "int main(){ volatile long i=0; while(true) i++; }\n",
        _on(BOTH, "timeout"),
        kind="io",
        language="cpp",
    ),
    Case(
        "legit_large_output",
        "n = int(input())\nfor i in range(20000):\n    print('%09d' % i)\n",
        _on(BOTH, "passed"),
        kind="io",
        io_output="".join(f"{i:09d}\n" for i in range(20000)),
        notes="200 KB: above the pipe-deadlock threshold, below the 256 KB cap",
    ),
    Case(
        "legit_large_output_cpp",
        '#include <cstdio>\nint main(){int n; scanf("%d",&n);'
        'for(int i=0;i<100000;i++) printf("%d\\n", i); }\n',
        _on(BOTH, "passed"),
        kind="io",
        language="cpp",
        io_output="".join(f"{i}\n" for i in range(100000)),
        output_kb=1024,
    ),
    Case(
        "mknod_block_device",
        "import os, stat\n"
        "def f(x):\n"
        "    os.mknod('/tmp/sda', stat.S_IFBLK | 0o600, os.makedev(8, 0))\n"
        "    with open('/tmp/sda', 'rb') as fh:\n"
        "        fh.read(512)\n"
        "    return x + 1\n",
        _on(("docker",), "error"),
        why={"runc": "PermissionError", "runsc": "No such device or address"},
        notes="runc: no CAP_MKNOD, mknod is refused. gVisor creates the node in its own "
        "virtual filesystem (by design), but it maps to no host device: opening it fails",
    ),
    Case("correct_function", GOOD, _on(BOTH, "passed")),
    Case("wrong_function", "def f(x):\n    return x\n", _on(BOTH, "failed")),
]
