"""What is being solved: the statement shown to the model and the tests that judge it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from sandbox.models import IOSuite, Language, TestSuite

Visibility = Literal["public", "hidden"]


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
        return out

    @property
    def has_tests(self) -> bool:
        return bool(self.suites())

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


def io_examples_text(suite: IOSuite, limit: int = 5) -> str:
    """Render sample stdin/stdout pairs the way problem statements show them."""
    parts = []
    for t in suite.tests[:limit]:
        parts.append(f"Input ({t.name}):\n{t.input.rstrip()}\nExpected output:\n{t.expected.rstrip()}")
    return "\n\n".join(parts)
