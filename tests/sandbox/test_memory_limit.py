"""A program that uses more memory than the problem allows is judged "memory limit" in
every registered language, however its runtime reports the failure (a C program's NULL
from malloc, a C++ program whose bss does not fit, a Rust `try_reserve` error, a Python
program catching its MemoryError, Go's and the JVM's own messages), plainly and against an
interactor, under runc and gVisor; a program well under the limit is not."""

from __future__ import annotations

import pytest

from sandbox import Candidate, IOSuite, IOTest, Limits, Sandbox
from sandbox.models import JudgeProgram
from tests.support.judge_problems import GUESS_INTERACTOR_PY

pytestmark = pytest.mark.asyncio(loop_scope="module")

# a generous time limit: a hog must end on memory, even on a loaded machine where each page
# fault is slow (a Go hog touched ~30 MB/s at load 13 on 2 cores)
LIMITS = Limits(timeout_s=10.0, memory_mb=128, output_kb=256)
ONE = IOSuite(tests=[IOTest(name="t1", input="", expected="1\n")])

# language -> (a program that fills 1 GB and prints one byte of it, one that uses ~32 MB)
HOGS: dict[str, tuple[str, str]] = {
    # malloc under RLIMIT_AS returned NULL and the memset crashed: read as a runtime error
    # (the pointer is volatile: gcc -O2 would otherwise drop the allocation and print 1)
    "c": (
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
        "int main(void) { char *volatile p = malloc((size_t)1 << 30); memset(p, 1, (size_t)1 << 30);\n"
        "  printf(\"%d\\n\", p[12345]); return 0; }\n",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
        "int main(void) { char *volatile p = malloc(32 << 20); memset(p, 1, 32 << 20);\n"
        "  printf(\"%d\\n\", p[12345]); return 0; }\n",
    ),
    # a 1 GB global: execve itself failed under RLIMIT_AS (a runtime error)
    "cpp": (
        "#include <cstdio>\n#include <cstring>\nstatic char big[1 << 30];\n"
        "int main() { std::memset(big, 1, sizeof big); std::printf(\"%d\\n\", big[12345]); }\n",
        "#include <cstdio>\n#include <vector>\n"
        "int main() { std::vector<char> v(32 << 20, 1); std::printf(\"%d\\n\", v[12345]); }\n",
    ),
    # try_reserve failed under RLIMIT_AS and expect() panicked: a runtime error
    "rust": (
        "fn main() { let mut v: Vec<u8> = Vec::new(); v.try_reserve(1 << 30).expect(\"reserve\");\n"
        "  v.resize(1 << 30, 1); println!(\"{}\", v[12345]); }\n",
        "fn main() { let v = vec![1u8; 32 << 20]; println!(\"{}\", v[12345]); }\n",
    ),
    # the program catches MemoryError (RLIMIT_AS) and exits: a runtime error
    "python": (
        "import sys\ntry:\n    big = bytearray(b'\\x01') * (1 << 30)\nexcept MemoryError:\n    sys.exit(3)\n"
        "print(big[12345])\n",
        "big = bytearray(b'\\x01') * (32 << 20)\nprint(big[12345])\n",
    ),
    "go": (
        'package main\n\nimport "fmt"\n\nfunc main() {\n\tb := make([]byte, 1<<30)\n'
        "\tfor i := range b {\n\t\tb[i] = 1\n\t}\n\tfmt.Println(b[12345])\n}\n",
        'package main\n\nimport "fmt"\n\nfunc main() {\n\tb := make([]byte, 32<<20)\n'
        "\tfor i := range b {\n\t\tb[i] = 1\n\t}\n\tfmt.Println(b[12345])\n}\n",
    ),
    "java": (
        "public class Hog { public static void main(String[] a) {\n"
        "  byte[] b = new byte[1 << 30]; java.util.Arrays.fill(b, (byte) 1);\n"
        "  System.out.println(b[12345]); } }\n",
        "public class Small { public static void main(String[] a) {\n"
        "  byte[] b = new byte[32 << 20]; java.util.Arrays.fill(b, (byte) 1);\n"
        "  System.out.println(b[12345]); } }\n",
    ),
}


@pytest.mark.docker
@pytest.mark.parametrize("language", sorted(HOGS))
async def test_memory_hog_is_memory_limit(runtime_sandbox: Sandbox, language: str) -> None:
    hog, small = HOGS[language]
    result = await runtime_sandbox.run(Candidate(code=hog, language=language), ONE, LIMITS)
    dump = result.model_dump_json(indent=1)[:2500]
    assert result.verdict == "memory_limit", dump
    assert "memory limit" in (result.tests[0].message or ""), dump
    fine = await runtime_sandbox.run(Candidate(code=small, language=language), ONE, LIMITS)
    assert fine.verdict == "passed", fine.model_dump_json(indent=1)[:2500]


INTERACTIVE = IOSuite(tests=[IOTest(name="g", input="37\n", expected="\n")], interactor=JudgeProgram(
    convention="kattis", language="python", main="i.py", files={"i.py": GUESS_INTERACTOR_PY}))  # fmt: skip


@pytest.mark.docker
async def test_memory_hog_against_an_interactor(runtime_sandbox: Sandbox) -> None:
    """A C program filling memory while it talks to the interactor: memory limit, not a crash."""
    hog = HOGS["c"][0].replace("int main(void) {", 'int main(void) { printf("50\\n"); fflush(stdout);')
    result = await runtime_sandbox.run(Candidate(code=hog, language="c"), INTERACTIVE, LIMITS)
    dump = result.model_dump_json(indent=1)[:2500]
    assert result.verdict == "memory_limit", dump
    assert "memory limit" in (result.tests[0].message or ""), dump
