"""The language registry: one module per language, everything else derived from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pacore_core.code_extract import extract_code
from pacore_core.statement import io_statement
from sandbox import languages
from sandbox.images import PACKAGES
from sandbox.jobs import build_job
from sandbox.models import Candidate, IOSuite, IOTest, Limits

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("pacore_core", "pacore_cli", "pacore_bench", "lsp_server", "sandbox")


def test_every_language_module_is_registered_with_python_first() -> None:
    modules = {p.stem for p in (ROOT / "sandbox" / "languages").glob("*.py")} - {"__init__", "spec"}
    assert set(languages.names()) == modules
    assert languages.names()[0] == "python"


def test_no_product_module_outside_the_registry_names_a_language() -> None:
    """Issue 19: a language is one module; no other module spells a language's name."""
    names = [n for n in languages.names() if n != languages.DEFAULT]
    pattern = re.compile("|".join(rf"[\"']{re.escape(n)}[\"']" for n in names))
    spelled: dict[str, list[str]] = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("sandbox/languages/"):
                continue
            found = pattern.findall(path.read_text())
            if found:
                spelled[rel] = found
    assert spelled == {}


def test_aliases_resolve_and_unknown_names_say_what_exists() -> None:
    assert languages.resolve("C++") == languages.resolve("cpp")
    assert languages.resolve("Python3") == "python"
    with pytest.raises(ValidationError, match="unknown language 'cobol'; use one of python"):
        Candidate(language="cobol", code="")


def test_the_image_installs_every_languages_packages() -> None:
    for spec in languages.registry().values():
        assert set(spec.packages) <= set(PACKAGES), spec.name


@pytest.mark.parametrize("name", languages.names())
def test_fences_and_statements_follow_the_registry(name: str) -> None:
    spec = languages.get(name)
    text = f"Here:\n```{spec.fence}\nPROGRAM\n```\n"
    assert extract_code(text, name) == "PROGRAM\n"
    statement = io_statement("Add.", language=name)
    assert spec.display in statement and f"```{spec.fence}" in statement
    if spec.io_conventions:
        assert spec.io_conventions in statement


@pytest.mark.parametrize("name", languages.names())
def test_the_job_carries_the_build_plan_and_the_scaled_time_limit(name: str) -> None:
    spec = languages.get(name)
    suite = IOSuite(tests=[IOTest(name="t", input="", expected="")])
    job = build_job(Candidate(language=name, code="x"), suite, Limits(timeout_s=2.0),
                    workdir="/tmp/job")  # fmt: skip
    build = job["build"]
    assert build["source"] in job["files"]
    assert (build["compile"] is not None) == spec.compiled
    assert "{" not in " ".join(build["run"] + (build["compile"] or []))
    assert job["limits"]["timeout_s"] == pytest.approx(2.0 * spec.time_multiplier)
