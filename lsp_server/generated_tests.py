"""Model-written tests: the weakest verification, used only when the user opts in."""

from __future__ import annotations

import re

from pacore_core.backends.base import Backend, SampleRequest
from pacore_core.code_extract import extract_code, python_syntax_error, strip_reasoning
from pacore_core.config import RunConfig
from pacore_core.errors import BackendError

GENERATED_TEST_FILE = "test_pacore_generated.py"
_TEST_FUNCTION = re.compile(r"^(?:async\s+)?def (test_\w*)\(", re.M)


class TestWritingError(BackendError):
    """The model did not produce usable tests; the message says what was wrong."""


def test_names(code: str) -> list[str]:
    """Top-level test functions: the sandbox runs (and reports) each node id on its own."""
    return _TEST_FUNCTION.findall(code)


def tests_prompt(qualname: str, module: str, function_text: str) -> str:
    return (
        f"Write pytest tests for the function `{qualname}` in module `{module}`. It is not "
        "implemented yet; test the behaviour its signature, name and docstring promise.\n\n"
        f"```python\n{function_text.strip()}\n```\n\n"
        f"Import it with `from {module} import {qualname.split('.')[0]}`. Answer with one "
        "```python code block holding a few small, deterministic `def test_...():` functions."
    )


async def write_tests(
    backend: Backend, *, qualname: str, module: str, function_text: str, config: RunConfig
) -> str:
    """One trajectory asked for tests; its code block, if it parses and defines tests."""
    request = SampleRequest(
        messages=[{"role": "user", "content": tests_prompt(qualname, module, function_text)}],
        n=1,
        round_index=0,
        temperature=config.temperature,
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        seed=config.seed,
    )
    async for trajectory in backend.sample(request):
        if trajectory.error:
            raise TestWritingError(f"asking the model for tests failed: {trajectory.error}")
        code = extract_code(strip_reasoning(trajectory.content), "python")
        if code is None:
            raise TestWritingError("the model wrote no ```python block of tests")
        if (err := python_syntax_error(code)) is not None:
            raise TestWritingError(f"the model's tests do not parse ({err})")
        if not test_names(code):
            raise TestWritingError("the model's answer defines no top-level `def test_...()`")
        return code
    raise TestWritingError("the model returned no answer when asked for tests")
