"""Python 3: interpreted, the only language of function-style problems (stubs, pytest, probes)."""

from sandbox.languages.spec import LanguageSpec

LANGUAGE = LanguageSpec(
    name="python",
    display="Python 3",
    source="solution.py",
    run=("{python}", "solution.py"),
    aliases=("py", "python3", "py3"),
    fences=("python", "py", "python3", "py3"),
    extensions=(".py",),
    packages=("python3-minimal", "python3-pytest"),
    memory_markers=("MemoryError",),
    function_probes=True,
)
