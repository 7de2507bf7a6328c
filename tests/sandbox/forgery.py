"""The forgery corpus: wrong programs (`f` returns 0; the tests want `f(1) == 2`) that try to
be judged passed without solving anything, the suites they attack, and what the guarded
sandbox must say.

Each technique also runs against the harness *without* the defence (`unguarded`: the pipe
channel and token emitter the harness had before the guard, tests run in-process) where it
is expected to forge a pass: that positive control is what makes the defended assertions
able to fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.models import CheckSuite, PytestSuite, TestSuite

# The forging payload every harness-reaching technique shares: given the harness's reporter
# (the unguarded Emitter, or the guard's `emit`), report every test passed and leave before
# the harness reports the truth.
PRELUDE = '''import glob, os, re, sys


def _ids():
    ids = []
    for path in sorted(glob.glob("test_*.py")):
        ids += [path + "::" + n for n in re.findall(r"^def (test_\\w+)", open(path).read(), re.M)]
    return ids or ["f"]


def _is_reporter(obj):
    kind = type(obj).__name__
    return kind == "Emitter" or (
        callable(obj) and getattr(obj, "__name__", "") == "emit"
        and getattr(obj, "__module__", "") in ("guard", "protocol"))


def _forge(emit):
    for nodeid in _ids():
        emit({"event": "start", "nodeid": nodeid, "name": nodeid, "out_pos": 0})
        emit({"event": "report", "nodeid": nodeid, "name": nodeid, "status": "passed",
              "out_pos": 0, "duration_s": 0.0})
    sys.stdout.flush()
    os._exit(0)


def _search(frame):
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if _is_reporter(value):
                _forge(value)
        frame = frame.f_back
'''

# what each mode runs: in-process check and pytest suites (not reducible to calls), and the
# same tests as data (a HumanEval-style check and a doctest-style file: calls with values)
CHECK_INPROCESS = (
    "def check(candidate):\n    for x, want in ((1, 2), (5, 6)):\n        assert candidate(x) == want\n"
)
PYTEST_INPROCESS = (
    "from solution import f\n\n"
    "def test_one():\n    got = f(1)\n    assert got == 2\n\n"
    "def test_two():\n    got = f(5)\n    assert got == 6\n"
)
CHECK_DATA = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n"
PYTEST_DATA = (
    "from solution import f\n\n"
    "def test_one():\n    assert f(1) == 2\n\n"
    "def test_two():\n    assert f(5) == 6\n"
)
MODES = ("check", "pytest", "data_check", "data_pytest")


def suite_for(mode: str) -> TestSuite:
    if mode == "check":
        return CheckSuite(test_code=CHECK_INPROCESS, entry_point="f")
    if mode == "pytest":
        return PytestSuite(files={"test_sol.py": PYTEST_INPROCESS})
    if mode == "data_check":
        return CheckSuite(test_code=CHECK_DATA, entry_point="f")
    return PytestSuite(files={"test_sol.py": PYTEST_DATA})


@dataclass(frozen=True)
class Technique:
    name: str
    body: str  # appended to PRELUDE: defines `f`, which returns 0
    # the verdict under the guard, per mode: `tampered` where the harness was touched
    expect: dict[str, str]
    why: str = ""  # text the tampered message must contain (what was refused)
    controls: tuple[str, ...] = ("check", "pytest")  # modes where the unguarded harness is forged
    # docker runtime -> mode -> verdict, where the runtimes differ
    runtime_expect: dict[str, dict[str, str]] = field(default_factory=dict)
    docker_only: bool = False  # never on the local backend (it would aim at the host itself)
    also: frozenset[str] = frozenset()  # verdicts also accepted where not tampered (a slow shell)
    notes: str = field(default="", compare=False)

    def expected(self, mode: str, runtime: str | None = None) -> str:
        return self.runtime_expect.get(runtime or "", {}).get(mode) or self.expect[mode]

    @property
    def code(self) -> str:
        return PRELUDE + "\n\n" + self.body


def _all(verdict: str) -> dict[str, str]:
    return dict.fromkeys(MODES, verdict)


# a final answer saying every test passed, for the supervisor's channel to the host
FORGED_ANSWER = (
    "import json, subprocess\n\n"
    "def f(x):\n"
    "    results = [{'name': n, 'status': 'passed', 'duration_s': 0.0} for n in _ids()]\n"
    "    line = json.dumps({'results': results, 'compile_output': None, 'reusable': True})\n"
    "    # an exec'd shell: no audit hook follows it; gVisor lets /proc/1/fd/1 be opened\n"
    "    subprocess.run(['sh', '-c', 'cat > /proc/1/fd/1 2>/dev/null'], input=(line + '\\n').encode())\n"
    "    return 0\n"
)


TECHNIQUES: list[Technique] = [
    Technique(
        "supervisor_channel",
        FORGED_ANSWER,
        _all("failed"),
        why="supervisor's channel",
        controls=(),
        docker_only=True,
        # the shell's failed redirect may end it before the line is written: SIGPIPE (error)
        also=frozenset({"timeout", "error"}),
        notes="the supervisor (PID 1) runs as root, the program as uid 65534 (identity.py): its "
        "descriptors cannot be opened, under runc (it is also non-dumpable) and gVisor alike (which "
        "opened them for a same-uid program, where only the missing nonce gave the forged answer "
        "away: the host still judges a line without it tampered); the program just fails",
    ),
    Technique(
        "gc_scan",
        "import gc\n\ndef f(x):\n    for obj in gc.get_objects():\n        if _is_reporter(obj):\n"
        "            _forge(obj)\n    return 0\n",
        _all("tampered"),
        why="gc.get_objects",
        notes="the issue's first forgery: the reporter object found among the interpreter's objects",
    ),
    Technique(
        "frame_walk",
        "def f(x):\n    _search(sys._getframe())\n    return 0\n",
        _all("tampered"),
        why="sys._getframe",
    ),
    Technique(
        "traceback_frames",
        "def f(x):\n    try:\n        raise ValueError\n    except ValueError as exc:\n"
        "        _search(exc.__traceback__.tb_frame)\n    return 0\n",
        _all("tampered"),
        why="tb_frame",
    ),
    Technique(
        "generator_frame",
        "def f(x):\n    def walk():\n        yield holder[0].gi_frame.f_back\n    holder = [None]\n"
        "    holder[0] = walk()\n    _search(next(holder[0]))\n    return 0\n",
        _all("tampered"),
        why="gi_frame",
    ),
    Technique(
        "tracer_frames",
        "def f(x):\n    def tracer(frame, event, arg):\n        _search(frame)\n        return tracer\n"
        "    sys.settrace(tracer)\n    g()\n    sys.settrace(None)\n    return 0\n\n"
        "def g():\n    return 1\n",
        _all("tampered"),
        why="sys.settrace",
    ),
    Technique(
        "signal_handler_frame",
        "import signal, time\n\ndef f(x):\n    def handler(signum, frame):\n        _search(frame)\n"
        "    signal.signal(signal.SIGALRM, handler)\n    signal.setitimer(signal.ITIMER_REAL, 0.01)\n"
        "    end = time.monotonic() + 1.0\n    while time.monotonic() < end:\n        pass\n    return 0\n",
        _all("tampered"),
        why="a test report from outside the harness",
        notes="a signal handler is handed the interrupted frame (no audit event): it reaches the "
        "guard's `emit`, whose stack check refuses a report with the handler on the stack",
    ),
    Technique(
        "eq_always",
        "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
        "    def __ne__(self, other):\n        return False\n\n"
        "def f(x):\n    return Anything()\n",
        {"check": "tampered", "pytest": "tampered", "data_check": "failed", "data_pytest": "failed"},
        why="its own class Anything",
        notes="the issue's second forgery: no harness access at all; as data it is not an answer",
    ),
    Technique(
        "json_rewrite",
        "import json\n_dumps = json.dumps\n\n"
        "def _rewrite(obj, **kw):\n    if isinstance(obj, dict) and obj.get('event') == 'report':\n"
        "        obj = {**obj, 'status': 'passed'}\n    return _dumps(obj, **kw)\n\n"
        "json.dumps = _rewrite\n\ndef f(x):\n    return 0\n",
        _all("failed"),
        notes="patches the json module the unguarded emitter serialises with; the guard's "
        "encoder is bound before the candidate exists, so the true result goes out",
    ),
    Technique(
        "harness_global_patch",
        "sys.modules['run_pytest']._outcome = lambda *a: ('passed', {})\n\ndef f(x):\n    return 0\n",
        {"pytest": "tampered", "data_pytest": "failed"},
        why="run_pytest._outcome",
        controls=("pytest",),
        notes="replaces the harness's outcome helper: the harness's own record of the test "
        "function's return (and the snapshot of its functions) says otherwise",
    ),
    Technique(
        "pytest_runner_patch",
        "import _pytest.runner as _r\n\n_Real = _r.CallInfo\n\n"
        "class _NoCall:\n    @staticmethod\n    def from_call(func, when, reraise=None):\n"
        "        return _Real.from_call(lambda: None, when=when)\n\n"
        "_r.CallInfo = _NoCall\n\ndef f(x):\n    return 0\n",
        {"pytest": "tampered", "data_pytest": "failed"},
        why="_pytest.runner.CallInfo",
        controls=("pytest",),
        notes="pytest's runner never calls the test: a pass needs the harness to have seen it return",
    ),
    Technique(
        "guard_emit_from_thread",
        "import threading\n\ndef f(x):\n    emit = sys.modules['guard'].emit\n"
        "    report = {'event': 'report', 'nodeid': 'f', 'status': 'passed'}\n"
        "    thread = threading.Thread(target=emit, args=(report,))\n    thread.start()\n    thread.join()\n"
        "    os._exit(0)\n",
        _all("tampered"),
        why="a test report from outside the harness",
        controls=(),
        notes="an attack on the guard itself (no unguarded analogue): a thread whose stack is all "
        "trusted code calls the guard's emit; reports leave only from the harness's reporters",
    ),
]

# Legitimate programs that use the introspection the guard watches, the way ordinary code
# does: none of them may be judged tampered.
LEGIT_CODE = '''import collections, dataclasses, enum, logging, traceback, typing, warnings

Point = collections.namedtuple("Point", "x y")
Color = enum.Enum("Color", "RED GREEN")


class Pair(typing.NamedTuple):
    a: int
    b: int


@dataclasses.dataclass
class Box:
    value: int


def f(x):
    logging.getLogger("solution").warning("computing %s", x)
    warnings.warn("just a warning")
    try:
        {}["missing"]
    except KeyError:
        text = traceback.format_exc()
        assert "KeyError" in text
    assert Box(1) == Box(1) and Pair(1, 2) == (1, 2) and Color.RED.name == "RED"
    return Point(x + OFFSET, 0).x


OFFSET = 1
'''
LEGIT_PYTEST = (
    "import json\n\nimport pytest\n\nimport solution\nfrom solution import f\n\n"
    "def test_value(capsys):\n    got = f(1)\n    assert got == 2\n\n"
    "def test_raises():\n    with pytest.raises(TypeError):\n        f('a')\n\n"
    "def test_monkeypatch(monkeypatch):\n    monkeypatch.setattr(solution, 'OFFSET', 2)\n"
    "    monkeypatch.setattr(json.JSONEncoder, 'extra', 1, raising=False)\n"
    "    got = f(1)\n    assert got == 3\n\n"
    "def test_fails_honestly():\n    got = f(2)\n    assert got == 4\n"
)
