"""A Kattis/ICPC problem package, in the legacy layout and the 2023-07 one.

legacy:  problem.yaml (`validation: default | custom [interactive] [score]`,
         `validator_flags`, `limits`), problem_statement/problem[.<lang>].{md,tex},
         output_validators/<name>/ (a source file or a directory holding one).
2023-07: problem.yaml (`problem_format_version`, `type: pass-fail | scoring |
         interactive` or a list, `limits.time_limit`), statement/, output_validator/.
Both:    data/sample/*.in + .ans (public: shown and run), data/secret/**/*.in + .ans
         (hidden: only run), groups as sub-directories of data/secret with a testdata.yaml
         (or test_group.yaml) giving `output_validator_flags`/`output_validator_args`;
         `.interaction` samples of interactive problems are shown in the statement.
Input validators (`input_validators/`, `input_validator/`, legacy `input_format_validators/`:
each source file or folder one validator, `input_validator_args` / `input_validator_flags`
per group) are read here and run on every test input before any candidate
(pacore_core/input_validation.py).
A scoring problem counts as solved when every test (so every group) is accepted. The time
limit is `limits.time_limit`, else a `.timelimit` file (problemtools writes one), else the
configured one; `limits.memory` is in MiB.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from pacore_core.loaders.common import ProblemLoadError, read_text
from pacore_core.loaders.judge_files import language_of, read_program
from pacore_core.problem import InputValidators, Problem, ProblemLimits, io_examples_text
from pacore_core.prompting import Templates
from pacore_core.statement import io_statement
from sandbox.models import IOSuite, IOTest, JudgeProgram, Language

STATEMENT_DIRS = ("statement", "problem_statement")
INPUT_VALIDATOR_DIRS = ("input_validators", "input_validator", "input_format_validators")
ALL_VALIDATORS = "*"  # input validator arguments that apply to every validator
GROUP_FILES = ("test_group.yaml", "testdata.yaml")
INTERACTIVE_NOTE = (
    "This is an interactive problem: your program talks to an interactor over standard "
    "input and output. Flush standard output after every line you write (a program that "
    "waits without flushing is stopped by the idleness limit)."
)


def is_package(d: Path) -> bool:
    """A problem.yaml beside data/ (or a statement folder): a Kattis/ICPC package."""
    return (d / "problem.yaml").is_file() and (
        (d / "data").is_dir() or any((d / s).is_dir() for s in STATEMENT_DIRS)
    )


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        raise ProblemLoadError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProblemLoadError(f"{path}: expected a mapping of keys to values")
    return data


def _flags(value: Any, where: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise ProblemLoadError(f"{where}: validator flags must be a string or a list of strings")


def _kind(meta: dict[str, Any], where: Path) -> tuple[bool, bool, bool]:
    """(custom validator, interactive, scoring) from either layout's keys."""
    types = meta.get("type", "pass-fail")
    types = [types] if isinstance(types, str) else list(types or [])
    validation = str(meta.get("validation", "default")).split()
    if validation and validation[0] not in ("default", "custom"):
        raise ProblemLoadError(f"{where}: validation must start with default or custom")
    interactive = "interactive" in types or "interactive" in validation
    scoring = "scoring" in types or "score" in validation
    unsupported = {t for t in types if t in ("multi-pass", "submit-answer")}
    if unsupported:
        raise ProblemLoadError(f"{where}: problem type {', '.join(sorted(unsupported))} is not supported "
                               "(pass-fail, scoring and interactive are)")
    return validation[:1] == ["custom"] or interactive, interactive, scoring


def _statement(d: Path) -> tuple[str, Path]:
    """The English (else the first) statement: Markdown preferred to LaTeX."""
    for folder in (d / s for s in STATEMENT_DIRS):
        if not folder.is_dir():
            continue
        names = sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith("problem")
                       and p.suffix in (".md", ".tex"))  # fmt: skip
        ranked = sorted(names, key=lambda p: (".en." not in p.name and p.stem != "problem",
                                              p.suffix != ".md", p.name))  # fmt: skip
        if ranked:
            return read_text(ranked[0]), ranked[0]
    raise ProblemLoadError(f"{d}: no statement; expected statement/problem.en.md (or "
                           "problem_statement/problem.en.tex in the legacy layout)")


def _name(meta: dict[str, Any], fallback: str) -> str:
    name = meta.get("name")
    if isinstance(name, dict):
        name = name.get("en") or next(iter(name.values()), None)
    return str(name or fallback)


def _validator(d: Path, flags: list[str]) -> JudgeProgram:
    for where in (d / "output_validator", d / "output_validators"):
        if not where.exists():
            continue
        if where.name == "output_validators" and where.is_dir():
            entries = sorted(p for p in where.iterdir() if not p.name.startswith("."))
            if len(entries) != 1:
                raise ProblemLoadError(f"{where}: expected one validator (a source file or a "
                                       f"directory), found {len(entries)}")  # fmt: skip
            where = entries[0]
        return read_program(where, "kattis", args=flags)
    raise ProblemLoadError(f"{d}: validation is custom but there is no output_validator/ "
                           "(or output_validators/<name>/) holding the validator")


def _group_flags(group: Path, inherited: list[str]) -> list[str]:
    for name in GROUP_FILES:
        if (group / name).is_file():
            conf = _yaml(group / name)
            value = conf.get("output_validator_args", conf.get("output_validator_flags"))
            if value is not None:
                return _flags(value, group / name)
    return inherited


def _tests(data: Path, part: str, with_flags: bool) -> list[IOTest]:
    """NAME.in + NAME.ans under data/<part>, recursively, in lexicographic order."""
    root = data / part
    if not root.is_dir():
        return []
    tests: list[IOTest] = []
    flags_by_dir: dict[Path, list[str]] = {}
    for inp in sorted(root.rglob("*.in")):
        ans = inp.with_suffix(".ans")
        if not ans.is_file():
            raise ProblemLoadError(f"{inp} has no matching {ans.name}")
        if inp.with_suffix(".files").is_dir():  # better refused than judged without its files
            raise ProblemLoadError(f"{inp.with_suffix('.files')}: input given through files (a "
                                   f"test's .files directory) is not supported; only stdin input is")
        flags: list[str] = []
        if with_flags:
            chain = [p for p in reversed(inp.relative_to(data).parents) if p != Path(".")]
            for rel in chain:
                group = data / rel
                if group not in flags_by_dir:
                    parent = flags_by_dir.get(group.parent, [])
                    flags_by_dir[group] = _group_flags(group, parent)
            flags = flags_by_dir.get(inp.parent, [])
        name = inp.relative_to(data).with_suffix("").as_posix()
        tests.append(IOTest(name=name, input=read_text(inp), expected=read_text(ans),
                            checker_args=flags))  # fmt: skip
    return tests


def _input_args(group: Path, inherited: dict[str, list[str]]) -> dict[str, list[str]]:
    """A group's input validator arguments: one list for all validators, or by name."""
    for name in GROUP_FILES:
        if (group / name).is_file():
            conf = _yaml(group / name)
            value = conf.get("input_validator_args", conf.get("input_validator_flags"))
            if value is None:
                continue
            if isinstance(value, dict):
                return {str(k): _flags(v, group / name) for k, v in value.items()}
            return {ALL_VALIDATORS: _flags(value, group / name)}
    return inherited


def _input_validators(d: Path, data: Path, tests: list[IOTest]) -> InputValidators | None:
    """Every input validator of the package (sources of an unregistered language, such as
    checktestdata or VIVA scripts, are not run: docs/judge.md), with each test's arguments."""
    programs = {}
    for folder in (d / n for n in INPUT_VALIDATOR_DIRS):
        if not folder.is_dir():
            continue
        for entry in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
            if entry.is_dir() or language_of(entry) is not None:
                programs[entry.stem if entry.is_file() else entry.name] = read_program(entry, "kattis_input")
    if not programs:
        return None
    by_dir: dict[Path, dict[str, list[str]]] = {}
    args: dict[str, dict[str, list[str]]] = {}
    files = {}
    for test in tests:
        inp = data / f"{test.name}.in"
        files[test.name] = str(inp)
        inherited: dict[str, list[str]] = {}
        for rel in [p for p in reversed(inp.relative_to(data).parents) if p != Path(".")]:
            group = data / rel
            if group not in by_dir:
                by_dir[group] = _input_args(group, inherited)
            inherited = by_dir[group]
        wanted = {name: inherited.get(name, inherited.get(ALL_VALIDATORS, [])) for name in programs}
        if any(wanted.values()):
            args[test.name] = wanted
    return InputValidators(programs=programs, args=args, files=files)


def _interactions(data: Path) -> str | None:
    found = sorted((data / "sample").glob("*.interaction")) if (data / "sample").is_dir() else []
    parts = [f"Sample interaction {p.stem} (> your program, < the interactor):\n{read_text(p).rstrip()}"
             for p in found]  # fmt: skip
    return "\n\n".join(parts) or None


def _limits(d: Path, meta: dict[str, Any], where: Path) -> ProblemLimits | None:
    raw = meta.get("limits") or {}
    if not isinstance(raw, dict):
        raise ProblemLoadError(f"{where}: limits must be a mapping")
    time_s = raw.get("time_limit")
    if time_s is None and (d / ".timelimit").is_file():
        time_s = read_text(d / ".timelimit").strip()
    try:
        memory = raw.get("memory")
        limits = ProblemLimits(time_s=float(time_s) if time_s is not None else None,
                               memory_mb=int(memory) if memory is not None else None)  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise ProblemLoadError(f"{where}: limits: time_limit must be seconds > 0 and memory MiB > 0 ({exc})"
                               .replace("\n", " ")) from None  # fmt: skip
    return limits if limits.time_s is not None or limits.memory_mb is not None else None


def _default_comparison(flags: list[str], where: Path) -> dict[str, Any]:
    """Kattis's default validator: tokens, case-insensitive, floats by tolerance flags."""
    out: dict[str, Any] = {"comparison": "whitespace", "case_sensitive": False}
    it = iter(flags)
    for flag in it:
        if flag == "case_sensitive":
            out["case_sensitive"] = True
        elif flag == "space_change_sensitive":
            out["comparison"] = "exact"
        elif flag in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            try:
                value = float(next(it))
            except (StopIteration, ValueError):
                raise ProblemLoadError(f"{where}: {flag} needs a number after it") from None
            out["comparison"] = "float_abs_rel"
            key = {"float_tolerance": "float_tolerance", "float_absolute_tolerance": "float_abs_tolerance",
                   "float_relative_tolerance": "float_rel_tolerance"}[flag]  # fmt: skip
            out[key] = value
            if flag != "float_tolerance":
                out.setdefault("float_abs_tolerance", 0.0)
                out.setdefault("float_rel_tolerance", 0.0)
                out[key] = value
        else:
            raise ProblemLoadError(f"{where}: unknown default validator flag {flag!r}")
    return out


def load_package(d: Path, language: Language | None, templates: Templates | None = None) -> Problem:
    """Read the package at `d` (see the module docstring)."""
    where = d / "problem.yaml"
    meta = _yaml(where)
    custom, interactive, _scoring = _kind(meta, where)
    flags = _flags(meta.get("validator_flags"), where)
    data = d / "data"
    if not (data / "secret").is_dir() and not (data / "sample").is_dir():
        raise ProblemLoadError(f"{d}: no data/sample or data/secret test cases")
    public, hidden = _tests(data, "sample", custom), _tests(data, "secret", custom)
    if not public and not hidden:
        raise ProblemLoadError(f"{d}: no test cases (NAME.in + NAME.ans) under data/")
    options: dict[str, Any] = {}
    if custom:
        program = _validator(d, flags)
        options["interactor" if interactive else "checker"] = program
    else:
        options.update(_default_comparison(flags, where))
    body, statement_path = _statement(d)
    title = _name(meta, d.name)
    text = f"# {title}\n\n{body.strip()}"
    if statement_path.suffix == ".tex":
        text = f"# {title}\n\n(The statement is LaTeX.)\n\n{body.strip()}"
    if interactive:
        text += f"\n\n{INTERACTIVE_NOTE}"
        samples_text = _interactions(data)
    else:
        samples_text = io_examples_text(IOSuite(tests=public), limit=len(public)) if public else None
    lang: Language = language or "python"
    return Problem(
        id=d.name,
        statement=io_statement(text, samples_text, language=lang, templates=templates),
        language=lang,
        mode="io",
        public_tests=IOSuite(tests=public, **options) if public else None,
        hidden_tests=IOSuite(tests=hidden, **options) if hidden else None,
        public_tests_text=samples_text,
        limits=_limits(d, meta, where),
        interactive=interactive,
        input_validators=_input_validators(d, data, [*public, *hidden]),
        weak_verification=not hidden,
    )
