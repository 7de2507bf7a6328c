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
    signature: str | None = None
    starter_code: str | None = None
    public_tests: TestSuite | None = None
    hidden_tests: TestSuite | None = None
    public_tests_text: str | None = None
    weak_verification: bool = Field(
        default=False, description="tests are doctests or model-written: verification is weaker"
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


def io_examples_text(suite: IOSuite, limit: int = 5) -> str:
    """Render sample stdin/stdout pairs the way problem statements show them."""
    parts = []
    for t in suite.tests[:limit]:
        parts.append(f"Input ({t.name}):\n{t.input.rstrip()}\nExpected output:\n{t.expected.rstrip()}")
    return "\n\n".join(parts)
