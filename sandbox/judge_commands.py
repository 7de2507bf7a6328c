"""How a problem's checker or interactor is built and started inside the sandbox: from the
language registry (`sandbox.languages`), like a candidate, so a checker may be written in
any registered language. The host fills the commands into the job; the in-sandbox runner
stays language-blind.

A registry entry names the candidate's file (`solution.cpp`); a judge program keeps its
own file name (`checker.cpp`), so that name replaces the registry's in the commands.
`{python}` is left for the runner (the sandbox's interpreter).
"""

from __future__ import annotations

from typing import Any

from sandbox import languages
from sandbox.models import JudgeProgram


def program_commands(program: JudgeProgram) -> dict[str, Any]:
    """`compile` (argv or None), `run` (argv), `address_space`, `env`, and the file name the
    main source is written under, for `program`."""
    spec = languages.get(program.language)
    code = program.files[program.main]
    source, main = spec.entry(code) if spec.entry else (program.main, "")
    values = {"source": source, "python": "{python}", "memory_mb": str(program.memory_mb),
              "heap_mb": str(max(program.memory_mb - 64, 16)), "main": main}  # fmt: skip

    def fill(cmd: tuple[str, ...] | None) -> list[str] | None:
        if cmd is None:
            return None
        return [source if part == spec.source else part.format(**values) for part in cmd]

    return {"compile": fill(spec.compile), "run": fill(spec.run), "address_space": spec.address_space_limit,
            "env": {key: value.format(**values) for key, value in spec.env.items()},
            "source": source}  # fmt: skip


def program_job(program: JudgeProgram | None) -> dict[str, Any] | None:
    """The program as the runner reads it: its files (the main one under its build name),
    the model's other fields and its commands."""
    if program is None:
        return None
    commands = program_commands(program)
    files = dict(program.files)
    files[commands["source"]] = files.pop(program.main)
    return {**program.model_dump(mode="json"), **commands, "files": files}
