"""How a problem is phrased for the model: the statement x, rendered from a template.

One function per kind of problem (function stub, directory of tests, stdin/stdout task,
stub in the editor); each renders its template from `pacore_core/templates/`, which a
user's `template_dir` may override (`pacore_core.prompting.Templates`).
"""

from __future__ import annotations

from collections.abc import Mapping

from pacore_core.excerpt import SHOWN_TESTS_CHARS, shown_block
from pacore_core.prompting import (
    FUNCTION_FROM_TESTS_TEMPLATE,
    FUNCTION_TEMPLATE,
    IO_TEMPLATE,
    WORKSPACE_FUNCTION_TEMPLATE,
    Templates,
    templates_for,
)
from sandbox import languages
from sandbox.models import Language


def _render(templates: Templates | None, template_name: str, /, **values: object) -> str:
    return (templates or templates_for()).render_statement(template_name, **values)


def function_statement(
    stub: str, entry_point: str, *, context: str | None = None, tests: str | None = None,
    language: Language = "python", description: str | None = None,
    templates: Templates | None = None,
) -> str:
    """Prompt for implementing `entry_point`: the stub, surrounding code and visible tests
    (shortened to `SHOWN_TESTS_CHARS`, with a note, when they are longer)."""
    shown = shown_block(tests, SHOWN_TESTS_CHARS, "tests") if tests else tests
    return _render(templates, FUNCTION_TEMPLATE, entry_point=entry_point, stub=stub,
                   fence=languages.get(language).fence, context=context, tests=shown,
                   description=description)


def function_from_tests_statement(
    entry_point: str, *, tests: str | None = None, description: str | None = None,
    templates: Templates | None = None,
) -> str:
    """Prompt for a module defining `entry_point` when only its tests say what it is."""
    shown = shown_block(tests, SHOWN_TESTS_CHARS, "tests") if tests else tests
    return _render(templates, FUNCTION_FROM_TESTS_TEMPLATE, entry_point=entry_point, tests=shown,
                   description=description or "")


def io_statement(
    statement: str, samples: str | None = None, *, language: Language = "python",
    templates: Templates | None = None,
) -> str:
    """Prompt for a stdin/stdout task in the given language."""
    spec = languages.get(language)
    return _render(templates, IO_TEMPLATE, statement=statement, samples=samples,
                   language=language, language_name=spec.display, fence=spec.fence,
                   io_conventions=spec.io_conventions)


def workspace_function_statement(
    *, qualname: str, name: str, class_name: str | None, module: str, relpath: str,
    function: str, context: str, tests: Mapping[str, str], doctests: bool,
    templates: Templates | None = None,
) -> str:
    """Prompt for a stub in the user's workspace, tests excerpted from their files."""
    return _render(templates, WORKSPACE_FUNCTION_TEMPLATE, qualname=qualname, name=name,
                   class_name=class_name, module=module, relpath=relpath, function=function,
                   context=context, tests=dict(tests), doctests=doctests)
