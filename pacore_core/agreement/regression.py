"""A pytest file that pins the agreed behaviour: the generated inputs and what the chosen
cluster returned (or raised) on them, so the user keeps regression tests for code that
arrived without any.

Why only some pairs: an output is written only when its text reads back as a Python
literal (not trimmed, no object reprs); floats compare with `pytest.approx`; an exception
is pinned only when its type is a builtin, which the test module can name.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

from pacore_core.agreement.models import AgreementRecord, Behaviour
from pacore_core.agreement.signatures import literal_text


def agreed_pairs(record: AgreementRecord, behaviour: Behaviour) -> list[tuple[str, str, str]]:
    """(args literal, "value"|"raises", expected literal or exception name) for kept inputs."""
    out: list[tuple[str, str, str]] = []
    for p in record.inputs:
        if p.args is None or p.name in record.dropped or p.name not in behaviour.outcomes:
            continue
        o = behaviour.outcomes[p.name]
        if o.kind == "value" and not o.text.startswith("None; arguments after"):
            value = _literal(o.text)
            if value is not None:
                out.append((p.args, "value", value))
        elif o.kind == "error" and isinstance(getattr(builtins, o.text, None), type):
            out.append((p.args, "raises", o.text))
    return out


def _literal(text: str) -> str | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    flat = isinstance(value, float) or (
        isinstance(value, list | tuple) and all(not isinstance(v, list | tuple | dict) for v in value)
    )
    if _has_float(value) and not flat:
        return None  # nested floats: exact comparison would be brittle, approx does not nest
    pair = literal_text((value,))
    return pair[1:-2] if pair else None


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


def regression_tests(
    record: AgreementRecord | None, *, module: str, entry_point: str, method_of: str | None = None
) -> str | None:
    """The pytest file pinning a run's agreed behaviour, or None if there is nothing to pin.
    `method_of`: `entry_point` is a method of that class, called on a fresh instance."""
    if record is None or record.agreed is None or record.chosen_cluster is None:
        return None
    agreeing = len(record.clusters[record.chosen_cluster].members)
    return pytest_file(
        record, record.agreed, module=module, entry_point=entry_point, agreeing=agreeing, method_of=method_of
    )


def pytest_file(
    record: AgreementRecord,
    behaviour: Behaviour,
    *,
    module: str,
    entry_point: str,
    agreeing: int,
    method_of: str | None = None,
) -> str | None:
    """The test module's text, or None when no pair can be written. A method is called as
    the probes called it: on a fresh `Class()` per case."""
    pairs = agreed_pairs(record, behaviour)
    if not pairs:
        return None
    imported = method_of.split(".")[0] if method_of else entry_point
    call = f"{method_of}().{entry_point}" if method_of else entry_point
    shown = f"{method_of}.{entry_point}" if method_of else entry_point
    values = [(a, e) for a, kind, e in pairs if kind == "value"]
    raises = [(a, e) for a, kind, e in pairs if kind == "raises"]
    lines = [
        f'"""Regression tests for `{shown}`, written by pacore from execution agreement.',
        "",
        f"{agreeing} independently generated programs behaved exactly like this on these inputs; the",
        "outputs were not checked by a person. Edit or delete cases that do not match your intent.",
        '"""',
        "",
        "import pytest",
        "",
        f"from {module} import {imported}",
        "",
    ]
    if values:
        lines += _parametrized("AGREED", "args, expected", values, [
            f"def test_{entry_point}_agreed_output(args, expected):",
            f"    result = {call}(*args)",
            "    if isinstance(expected, float) or (",
            "        isinstance(expected, (list, tuple)) and any(isinstance(x, float) for x in expected)",
            "    ):",
            "        assert result == pytest.approx(expected)",
            "    else:",
            "        assert result == expected",
        ])  # fmt: skip
    if raises:
        lines += _parametrized("AGREED_ERRORS", "args, error", raises, [
            f"def test_{entry_point}_agreed_error(args, error):",
            "    with pytest.raises(error):",
            f"        {call}(*args)",
        ])  # fmt: skip
    return "\n".join(lines)


def _parametrized(table: str, names: str, rows: list[tuple[str, str]], test: list[str]) -> list[str]:
    """A table of cases and one test parametrized over it."""
    body = [f"{table} = [", *(f"    ({a}, {e})," for a, e in rows), "]", "", ""]
    return [*body, f'@pytest.mark.parametrize("{names}", {table})', *test, ""]
