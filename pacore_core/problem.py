"""What is being solved: the statement shown to the model and the tests that judge it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from pacore_core.excerpt import MIN_SHOWN_CHARS, SHOWN_TESTS_CHARS, excerpt
from sandbox.models import MIN_MEMORY_MB, CallSuite, IOSuite, JudgeProgram, Language, Limits, TestSuite

Visibility = Literal["public", "hidden", "oracle"]


class ProblemLimits(BaseModel):
    """Limits a problem sets itself (a Kattis package's problem.yaml / .timelimit): they
    replace the configured ones; the time limit is multiplied by the language's factor."""

    time_s: float | None = Field(default=None, gt=0, description="seconds per test")
    memory_mb: int | None = Field(default=None, gt=0)

    def apply(self, base: Limits, time_multiplier: float = 1.0) -> Limits:
        update: dict[str, float | int] = {}
        if self.time_s is not None:
            update["timeout_s"] = round(self.time_s * time_multiplier, 3)
        if self.memory_mb is not None:
            update["memory_mb"] = max(self.memory_mb, MIN_MEMORY_MB)
        return base.model_copy(update=update)


class InputValidators(BaseModel):
    """A package's input validators (Kattis: `prog [args] < test.in`, exit 42 valid, 43
    invalid), run on every test input before any candidate (pacore_core/input_validation.py)."""

    programs: dict[str, JudgeProgram]  # validator name (its file or folder) -> program
    args: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="test name -> validator name -> its arguments")
    files: dict[str, str] = Field(default_factory=dict, description="test name -> its .in file")


class Problem(BaseModel):
    """A coding problem.

    `public` tests may be shown to the model (their text is in `public_tests_text`);
    `hidden` tests are only executed. `statement` is the prompt x itself, so that
    P(x, {}) is the problem unmodified.
    """

    id: str = "problem"
    statement: str
    language: Language = "python"
    mode: Literal["function", "io"] = "function"
    entry_point: str | None = None
    method_of: str | None = Field(
        default=None,
        description="the class (dotted, as in `Outer.Inner`) whose method `entry_point` is; None: a function",
    )
    signature: str | None = None
    starter_code: str | None = None
    public_tests: TestSuite | None = None
    hidden_tests: TestSuite | None = None
    public_tests_text: str | None = None
    oracle_tests: IOSuite | CallSuite | None = Field(
        default=None,
        description="generated inputs with a brute force's outputs (a stub's: calls with its "
        "answers as data): run like hidden tests, but where a candidate disagrees its message "
        "shows the input and both outputs",
    )
    limits: ProblemLimits | None = Field(
        default=None, description="the problem's own time/memory limits"
    )
    interactive: bool = False
    input_validators: InputValidators | None = None
    weak_verification: bool = Field(
        default=False,
        description="tests are examples (a docstring's, a statement's samples) or model-written: "
        "verification is weaker, and wrong programs pass them too",
    )

    def suites(self) -> list[tuple[Visibility, TestSuite]]:
        out: list[tuple[Visibility, TestSuite]] = []
        if self.public_tests is not None:
            out.append(("public", self.public_tests))
        if self.hidden_tests is not None:
            out.append(("hidden", self.hidden_tests))
        if self.oracle_tests is not None:
            out.append(("oracle", self.oracle_tests))
        return out

    @property
    def has_tests(self) -> bool:
        """Tests the user or the problem gave (oracle tests are evidence, not the user's tests)."""
        return self.public_tests is not None or self.hidden_tests is not None

    @property
    def top_level_entry_point(self) -> str | None:
        """The `def` a candidate must have at its top level; None for a method, which may come
        back alone or inside its class (the editor's splice accepts either)."""
        return self.entry_point if self.method_of is None else None

    @property
    def probe_entry_point(self) -> str | None:
        """What the probe runner calls: `Class.method` for a method (on a fresh `Class()`)."""
        if self.method_of is None or self.entry_point is None:
            return self.entry_point
        return f"{self.method_of}.{self.entry_point}"

    @property
    def call_name(self) -> str | None:
        """How a call reads in messages and tests: `Class().method` for a method."""
        if self.method_of is None or self.entry_point is None:
            return self.entry_point
        return f"{self.method_of}().{self.entry_point}"


def io_examples_text(suite: IOSuite, limit: int = 5, budget: int = SHOWN_TESTS_CHARS) -> str:
    """Render sample stdin/stdout pairs the way problem statements show them.

    At most `limit` tests and `budget` characters: a long input or expected output shows its
    first lines with a note of what was cut; tests beyond `limit` are counted. Every test
    runs whatever is shown.
    """
    shown = suite.tests[:limit]
    each = max(budget // max(2 * len(shown), 1), MIN_SHOWN_CHARS)
    parts = []
    for t in shown:
        given, given_note = excerpt(t.input, each, "input")
        wanted, wanted_note = excerpt(t.expected, each, "expected output")
        parts.append(f"{_head('Input', t.name, given_note)}\n{given.rstrip()}\n"
                     f"{_head('Expected output', None, wanted_note)}\n{wanted.rstrip()}")
    if len(suite.tests) > len(shown):
        parts.append(f"({len(suite.tests) - len(shown)} more tests not shown; they run too)")
    return "\n\n".join(parts)


def _head(label: str, name: str | None, note: str | None) -> str:
    inside = "; ".join(x for x in (name, note) if x)
    return f"{label} ({inside}):" if inside else f"{label}:"
