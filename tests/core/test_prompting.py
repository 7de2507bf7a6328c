# ruff: noqa: E501  (the paper's template has long lines, kept verbatim)
"""Prompts are templates: the paper's Table 6 verbatim, statements a user can override."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from pacore_core.config import RunConfig
from pacore_core.errors import ConfigError
from pacore_core.loaders import load_problem
from pacore_core.prompting import STATEMENT_TEMPLATES, Templates, build_prompt, load_template
from pacore_core.statement import function_statement, io_statement, workspace_function_statement

# The paper's Table 6 (DESIGN.md), word for word.
TABLE_6 = """\
You are given a problem and a list of reference responses. Your job is to analyze these references and provide your own response.

Original Problem:
{{ original_prompt }}

Reference Responses:
{% for response in ref_responses %}
Reference {{ loop.index }}:
{{ response }}
{% endfor %}

Now, based on the original problem and reference responses above, please provide your own comprehensive solution."""


def test_bundled_paper_template_is_table_6_word_for_word() -> None:
    text = resources.files("pacore_core.templates").joinpath("synthesis.j2").read_text()
    assert text.rstrip("\n") == TABLE_6
    prompt = build_prompt("PROBLEM", ["A", "B"], load_template(with_verdicts=False))
    assert prompt == (
        "You are given a problem and a list of reference responses. Your job is to analyze "
        "these references and provide your own response.\n\nOriginal Problem:\nPROBLEM\n\n"
        "Reference Responses:\n\nReference 1:\nA\n\nReference 2:\nB\n\n\nNow, based on the "
        "original problem and reference responses above, please provide your own "
        "comprehensive solution.")
    assert build_prompt("PROBLEM", [], load_template()) == "PROBLEM"


def test_statements_render_as_before() -> None:
    assert function_statement("def f(x):\n    ...\n", "f", tests="assert f(1) == 1") == (
        "Implement the function `f`. Keep its signature.\n\n"
        "Function to implement:\n```python\ndef f(x):\n    ...\n```\n\n"
        "Tests it must pass (`solution` is the module holding your code):\n"
        "```python\nassert f(1) == 1\n```\n\n"
        "Answer with one complete ```python code block containing `f` and any imports or "
        "helpers it needs.")
    assert io_statement("Sum two numbers.\n", "Input:\n1 2", language="cpp") == (
        "Sum two numbers.\n\nSample tests:\nInput:\n1 2\n\nWrite a complete C++17 program "
        "that reads from standard input and writes to standard output. Answer with one "
        "```cpp code block.")
    method = workspace_function_statement(
        qualname="Box.area", name="area", class_name="Box", module="geo", relpath="geo.py",
        function="def area(self):\n    ...", context="", tests={}, doctests=True)
    assert "Its docstring examples (doctests) must pass." in method
    assert method.endswith("containing a method of class `Box`: write it as `def area(self, "
                           "...)` at the top level of the block (or inside `class Box:`), with "
                           "the same signature, plus any imports or helper functions it needs.")


def test_template_dir_overrides_a_statement_and_the_synthesis_prompt(tmp_path: Path) -> None:
    (tmp_path / "io.j2").write_text("TASK: {{ statement | trim }} in {{ language_name }}\n")
    (tmp_path / "synthesis_code.j2").write_text(
        "{{ original_prompt }} / {{ ref_responses | join(' | ') }}")
    (tmp_path / "sum.md").write_text("Add.\n\nInput\n```\n1 2\n```\nOutput\n```\n3\n```\n")
    templates = Templates(tmp_path)
    problem = load_problem(tmp_path / "sum.md", templates=templates)
    assert problem.statement == "TASK: Add.\n\nInput\n```\n1 2\n```\nOutput\n```\n3\n``` in Python 3"
    assert templates.synthesis().render(original_prompt="P", ref_responses=["a", "b"]) == "P / a | b"
    # the templates it does not override stay the bundled ones
    stub = tmp_path / "f.py"
    stub.write_text('def f(x):\n    """>>> f(1)\n    1\n    """\n    ...\n')
    assert load_problem(stub, templates=templates).statement.startswith("Implement the function `f`.")
    assert set(STATEMENT_TEMPLATES) <= {
        p.name for p in resources.files("pacore_core.templates").iterdir()}


def test_template_dir_is_a_configuration_key(tmp_path: Path) -> None:
    assert RunConfig(template_dir=tmp_path).template_dir == tmp_path


def test_a_missing_template_dir_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as err:
        Templates(tmp_path / "nope")
    assert err.value.setting == "template_dir"


def test_broken_overrides_fail_early_naming_file_line_and_variables(tmp_path: Path) -> None:
    (tmp_path / "function.j2").write_text("Implement {{ entry_point }\n")
    with pytest.raises(ConfigError, match=r"function\.j2:1 has a syntax error") as err:
        function_statement("def f(): ...", "f", templates=Templates(tmp_path))
    assert err.value.setting == "template_dir"
    (tmp_path / "function.j2").write_text("Implement {{ entry }}\n")
    with pytest.raises(ConfigError, match=r"'entry' is undefined; it may use .*entry_point"):
        function_statement("def f(): ...", "f", templates=Templates(tmp_path))
    own = tmp_path / "mine.j2"
    own.write_text("{{ problem }}")  # not a variable the synthesis prompt has
    with pytest.raises(ConfigError, match=r"mine\.j2: 'problem' is undefined") as err2:
        load_template(own)
    assert err2.value.setting == "template"
    with pytest.raises(ConfigError, match="cannot read synthesis template"):
        load_template(tmp_path / "absent.j2")
