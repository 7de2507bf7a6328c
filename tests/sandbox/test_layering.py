"""The sandbox is the bottom layer: nothing in `sandbox/` imports a package above it, and
the in-container runners import nothing but the standard library and each other (they are
copied into the image alone)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "sandbox"
RUNNERS = SANDBOX / "runners"
UPPER = {"pacore_core", "lsp_server", "pacore_cli", "pacore_bench", "pacore_view"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module an import statement (at any depth) or an `import_module` /
    `__import__` call with a literal name in `path` brings in."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return found


def test_no_sandbox_module_imports_an_upper_package() -> None:
    modules = sorted(SANDBOX.rglob("*.py"))
    assert len(modules) > 30  # the walk sees the whole package, runners and languages too
    upward = {
        str(path.relative_to(REPO)): sorted(m for m in imported_modules(path) if m.split(".")[0] in UPPER)
        for path in modules
    }
    assert {k: v for k, v in upward.items() if v} == {}


def test_the_runners_import_only_the_standard_library_and_each_other() -> None:
    siblings = {p.stem for p in RUNNERS.glob("*.py")}
    # pytest is installed in the image; `solution` is the candidate, written beside the runners
    allowed = set(sys.stdlib_module_names) | siblings | {"pytest", "_pytest", "solution"}
    foreign = {
        p.name: sorted(m for m in imported_modules(p) if m.split(".")[0] not in allowed)
        for p in sorted(RUNNERS.glob("*.py"))
    }
    assert {k: v for k, v in foreign.items() if v} == {}


def test_importing_every_sandbox_module_loads_no_upper_package() -> None:
    """The static walk's twin at run time: what importing the sandbox really loads."""
    script = (
        "import importlib, json, pkgutil, sys, sandbox\n"
        "names = [m.name for m in pkgutil.walk_packages(sandbox.__path__, 'sandbox.')\n"
        "         if not m.name.startswith('sandbox.runners')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps({'modules': names, 'loaded': sorted({m.split('.')[0] for m in sys.modules})}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "sandbox.docker_backend" in out["modules"] and "sandbox.languages.cpp" in out["modules"]
    assert UPPER & set(out["loaded"]) == set()
