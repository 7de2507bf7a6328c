"""How a problem is phrased for the model, for function stubs and stdin/stdout tasks."""

from __future__ import annotations

from sandbox.models import Language

_FENCE = {"python": "python", "cpp": "cpp"}


def function_statement(
    stub: str,
    entry_point: str,
    *,
    context: str | None = None,
    tests: str | None = None,
    language: Language = "python",
) -> str:
    """Prompt for implementing `entry_point`: the stub, surrounding code and visible tests."""
    fence = _FENCE[language]
    parts = [f"Implement the function `{entry_point}`. Keep its signature."]
    if context:
        parts.append(
            f"Surrounding code in the same module (for reference):\n```{fence}\n{context.strip()}\n```"
        )
    parts.append(f"Function to implement:\n```{fence}\n{stub.strip()}\n```")
    if tests:
        parts.append(
            "Tests it must pass (`solution` is the module holding your code):\n"
            f"```{fence}\n{tests.strip()}\n```"
        )
    parts.append(
        f"Answer with one complete ```{fence} code block containing `{entry_point}` and any "
        "imports or helpers it needs."
    )
    return "\n\n".join(parts)


def io_statement(statement: str, samples: str | None = None, *, language: Language = "python") -> str:
    """Prompt for a stdin/stdout task in the given language."""
    lang = "Python 3" if language == "python" else "C++17"
    fence = _FENCE[language]
    parts = [statement.strip()]
    if samples:
        parts.append(f"Sample tests:\n{samples.strip()}")
    parts.append(
        f"Write a complete {lang} program that reads from standard input and writes to "
        f"standard output. Answer with one ```{fence} code block."
    )
    return "\n\n".join(parts)
