"""The language registry: one module per language, everything else derived from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pacore_core.code_extract import extract_code
from pacore_core.statement import io_statement
from sandbox import Sandbox, languages
from sandbox.images import BASE_IMAGE, PACKAGES, PACKAGES_HASH, PRUNE, _prune
from sandbox.jobs import build_job
from sandbox.models import Candidate, IOSuite, IOTest, Limits

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("pacore_core", "pacore_cli", "pacore_bench", "lsp_server", "pacore_view", "sandbox")


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


def test_every_language_has_its_tests() -> None:
    """A new language is its module plus its tests: the programs every compiled language
    solves and fails to compile (tests/support/programs.py, run end to end by
    tests/cli/test_languages.py), its hostile programs (tests/sandbox/corpus_languages.py) and
    a checker written in it (tests/sandbox/test_checker_languages.py). Python and C++ have
    their own, older suites."""
    from tests.sandbox.corpus_languages import PROGRAMS
    from tests.sandbox.test_checker_languages import CHECKERS
    from tests.support.programs import MAXIMUM

    added = set(languages.names()) - {"python", "cpp"}
    assert added <= set(MAXIMUM) and added <= set(PROGRAMS) and added <= set(CHECKERS)


def test_aliases_resolve_and_unknown_names_say_what_exists() -> None:
    assert languages.resolve("C++") == languages.resolve("cpp")
    assert languages.resolve("Python3") == "python"
    with pytest.raises(ValidationError, match="unknown language 'cobol'; use one of python"):
        Candidate(language="cobol", code="")


def test_the_image_installs_every_languages_packages() -> None:
    for spec in languages.registry().values():
        assert set(spec.packages) <= set(PACKAGES), spec.name
        assert set(spec.image_prune) <= set(PRUNE), spec.name
    assert BASE_IMAGE.endswith(PACKAGES_HASH)  # a new package list is a new base


def test_pruning_removes_what_no_run_reads_and_keeps_the_rest(tmp_path: Path) -> None:
    keep = ["usr/lib/go-1.19/pkg/linux_amd64/fmt.a", "usr/share/doc-base/x", "usr/bin/go",
            "usr/share/go-1.19/src/image/png/reader.go", "usr/lib/go-1.19/pkg/tool/linux_amd64/compile",
            "usr/lib/jvm/java-17/lib/modules", "usr/lib/gcc/x86_64-linux-gnu/12/cc1plus",
            "usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd-1.rlib"]
    drop = ["usr/lib/go-1.19/pkg/linux_amd64/cmd/go/internal.a", "usr/share/doc/gcc/copyright",
            "var/cache/apt/archives/gcc_12_amd64.deb", "usr/share/locale/de/LC_MESSAGES/x.mo",
            # nested: the globs are recursive
            "usr/share/go-1.19/src/image/png/reader_test.go",
            "usr/share/go-1.19/src/image/png/testdata/a.png",
            "usr/lib/go-1.19/pkg/tool/linux_amd64/pprof", "usr/lib/jvm/java-17/jmods/java.base.jmod",
            "usr/lib/gcc/x86_64-linux-gnu/12/lto1", "usr/lib/x86_64-linux-gnu/libasan.so.8",
            "usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/libtest-1.rlib"]
    for rel in keep + drop:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    _prune(str(tmp_path))
    assert [rel for rel in keep + drop if (tmp_path / rel).exists()] == keep


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
    assert "{" not in " ".join(build["run"] + (build["compile"] or []) + list(build["env"].values()))
    assert job["limits"]["timeout_s"] == pytest.approx(2.0 * spec.time_multiplier)


def test_java_runs_the_class_holding_main_whatever_its_name() -> None:
    from sandbox.languages.java import entry

    code = ('import java.util.*;\n// public class Fake { static void main(String[] a) {} }\n'
            'class Helper { void main() {} }\n'
            'public class Solution { static String s = "{ class Bad"; }\n'
            'final class Runner { public static void main(final String... args) {} }\n')  # fmt: skip
    assert entry(code) == ("Solution.java", "Runner")
    assert entry("class A { public static void main(String[] a) {} }") == ("Main.java", "A")


# each run appends the inode and mtime of its own binary to a file the job's tests share: a
# candidate compiled once shows one binary to all of its tests
COMPILED_ONCE = r"""#include <stdio.h>
#include <sys/stat.h>
int main(void) {
  struct stat st; char line[128], seen[64][128]; int n = 0, distinct = 0;
  stat("/proc/self/exe", &st);
  FILE *f = fopen("binaries.txt", "a");
  fprintf(f, "%lu:%ld.%09ld\n", (unsigned long)st.st_ino, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  fclose(f);
  f = fopen("binaries.txt", "r");
  while (n < 64 && fgets(line, sizeof line, f)) {
    int dup = 0;
    for (int i = 0; i < distinct; i++) dup |= !__builtin_strcmp(seen[i], line);
    if (!dup) __builtin_strcpy(seen[distinct++], line);
    n++;
  }
  printf("%d\n", distinct);
  return 0;
}
"""


@pytest.mark.docker
@pytest.mark.asyncio(loop_scope="module")
async def test_a_candidate_is_compiled_once_for_all_its_tests(docker_sandbox: Sandbox) -> None:
    suite = IOSuite(tests=[IOTest(name=f"t{i}", input="", expected="1\n") for i in range(5)])
    verdict = await docker_sandbox.run(Candidate(language="c", code=COMPILED_ONCE), suite)
    assert verdict.verdict == "passed", verdict.model_dump_json(indent=1)[:2000]
    assert verdict.passed == 5
