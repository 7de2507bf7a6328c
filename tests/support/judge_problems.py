"""Small judge-grade problems written by the tests: a Kattis package with a custom output
validator (legacy layout, C++ validator with its header), a Kattis interactive package
(2023-07 layout, test groups), and a directory problem with a testlib checker; plus the
programs that solve them, right and wrong, as the scripted model answers them.

"Split N": print two non-negative integers whose sum is N. Every split is right, so a
correct program's output usually differs from the `.ans` file (which holds `0 N`).
"Guess": the interactor holds a number in 1..100 and answers `higher`/`lower`/`correct`.
"""

from __future__ import annotations

from pathlib import Path

SPLIT_STATEMENT = """Split N

Read one integer N (0 <= N <= 10^9). Print two non-negative integers whose sum is N.
Any such pair is accepted.
"""

# Kattis convention: validator INPUT ANSWER FEEDBACK_DIR < OUTPUT; exit 42 / 43.
VALIDATE_H = r"""
#include <cstdio>
#include <cstdlib>
#include <string>
static std::string feedback_dir;
static void verdict(bool ok, const char* message) {
    if (!ok) {
        std::string path = feedback_dir + "judgemessage.txt";
        FILE* f = std::fopen(path.c_str(), "w");
        if (f) { std::fputs(message, f); std::fclose(f); }
    }
    std::exit(ok ? 42 : 43);
}
"""

VALIDATE_CPP = r"""
#include "validate.h"
int main(int argc, char** argv) {
    if (argc < 4) return 1;
    feedback_dir = argv[3];
    FILE* in = std::fopen(argv[1], "r");
    long long n, a, b;
    if (!in || std::fscanf(in, "%lld", &n) != 1) return 1;
    if (std::scanf("%lld %lld", &a, &b) != 2) verdict(false, "expected two integers");
    char extra[2];
    if (std::scanf("%1s", extra) == 1) verdict(false, "trailing output after the two integers");
    if (a < 0 || b < 0) verdict(false, "the numbers must be non-negative");
    if (a + b != n) {
        char msg[200];
        std::snprintf(msg, sizeof msg, "%lld + %lld = %lld, not %lld", a, b, a + b, n);
        verdict(false, msg);
    }
    verdict(true, "");
}
"""

# testlib convention: checker INPUT OUTPUT ANSWER; exit 0 / 1 (WA) / 2 (PE) / 3 (fail).
TESTLIB_CHECKER_CPP = r"""
#include <cstdio>
int main(int argc, char** argv) {
    if (argc < 4) { std::fprintf(stderr, "usage: checker input output answer\n"); return 3; }
    FILE* in = std::fopen(argv[1], "r");
    FILE* out = std::fopen(argv[2], "r");
    long long n, a, b;
    if (!in || !out || std::fscanf(in, "%lld", &n) != 1) {
        std::fprintf(stderr, "bad input\n");
        return 3;
    }
    if (std::fscanf(out, "%lld %lld", &a, &b) != 2) {
        std::fprintf(stderr, "expected two integers\n");
        return 2;
    }
    if (a < 0 || b < 0 || a + b != n) {
        std::fprintf(stderr, "wrong answer: %lld + %lld != %lld\n", a, b, n);
        return 1;
    }
    std::fprintf(stderr, "ok %lld = %lld + %lld\n", n, a, b);
    return 0;
}
"""

SPLIT_GOOD = "n = int(input())\nprint(n, 0)\n"
SPLIT_WRONG = "n = int(input())\nprint(n, 1)\n"

GUESS_STATEMENT = """Guess the number

The interactor thinks of an integer X with 1 <= X <= 100. Write a guess G on a line; the
interactor answers `higher` (X > G), `lower` (X < G) or `correct` (then exit). At most 10
guesses.
"""

# Kattis convention, interactive: stdin = the program's output, stdout = its input.
GUESS_INTERACTOR_PY = r"""
import sys

secret = int(open(sys.argv[1]).read())
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 10
feedback = sys.argv[3]
for guess_no in range(1, limit + 1):
    line = sys.stdin.readline()
    if not line:
        open(feedback + "judgemessage.txt", "w").write(f"the program stopped after {guess_no - 1} guesses")
        sys.exit(43)
    try:
        guess = int(line)
    except ValueError:
        open(feedback + "judgemessage.txt", "w").write(f"not a number: {line.strip()!r}")
        sys.exit(43)
    if guess == secret:
        print("correct", flush=True)
        sys.exit(42)
    print("higher" if guess < secret else "lower", flush=True)
open(feedback + "judgemessage.txt", "w").write(f"no correct guess in {limit} guesses")
sys.exit(43)
"""

GUESS_GOOD = """lo, hi = 1, 100
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    reply = input().strip()
    if reply == "correct":
        break
    if reply == "higher":
        lo = mid + 1
    else:
        hi = mid - 1
"""
# a forgotten flush: the guess sits in the program's buffer while both sides wait to read
GUESS_NO_FLUSH = """import sys
lo, hi = 1, 100
while True:
    mid = (lo + hi) // 2
    sys.stdout.write(f"{mid}\\n")
    reply = sys.stdin.readline().strip()
    if reply == "correct":
        break
    if reply == "higher":
        lo = mid + 1
    else:
        hi = mid - 1
"""
GUESS_LINEAR = """for g in range(1, 101):
    print(g, flush=True)
    if input().strip() == "correct":
        break
"""


def fenced(code: str, language: str = "python") -> str:
    """How the scripted model answers: a short note and one fenced block."""
    return f"Here is my program.\n\n```{language}\n{code}```\n"


def write_split_kattis(root: Path) -> Path:
    """Legacy layout, `validation: custom`, a C++ validator with its header."""
    d = root / "splitn"
    (d / "problem_statement").mkdir(parents=True)
    (d / "problem_statement" / "problem.en.md").write_text(SPLIT_STATEMENT)
    (d / "problem.yaml").write_text("name: Split N\nvalidation: custom\nlimits:\n  memory: 256\n")
    (d / ".timelimit").write_text("2\n")
    validator = d / "output_validators" / "split_validator"
    validator.mkdir(parents=True)
    (validator / "validate.h").write_text(VALIDATE_H)
    (validator / "validate.cpp").write_text(VALIDATE_CPP)
    for part, cases in (("sample", {"1": 5}), ("secret", {"01-small": 0, "02-big": 1000000000})):
        (d / "data" / part).mkdir(parents=True)
        for name, n in cases.items():
            (d / "data" / part / f"{name}.in").write_text(f"{n}\n")
            (d / "data" / part / f"{name}.ans").write_text(f"0 {n}\n")
    return d


def write_guess_kattis(root: Path) -> Path:
    """2023-07 layout, `type: interactive`, secret test groups with their own validator args."""
    d = root / "guess"
    (d / "statement").mkdir(parents=True)
    (d / "statement" / "problem.en.md").write_text(GUESS_STATEMENT)
    (d / "problem.yaml").write_text(
        "problem_format_version: 2023-07-draft\ntype: interactive\nname:\n  en: Guess the number\n"
        "limits:\n  time_limit: 3\n"
    )
    (d / "output_validator").mkdir()
    (d / "output_validator" / "interactor.py").write_text(GUESS_INTERACTOR_PY)
    sample = d / "data" / "sample"
    sample.mkdir(parents=True)
    (sample / "1.in").write_text("37\n")
    (sample / "1.ans").write_text("\n")
    (sample / "1.interaction").write_text("> 50\n< lower\n> 25\n< higher\n> 37\n< correct\n")
    for group, numbers, args in (("group1", (1, 100), None), ("group2", (64, 99), "7")):
        g = d / "data" / "secret" / group
        g.mkdir(parents=True)
        if args is not None:  # at most 7 guesses in this group (binary search needs 7)
            (g / "testdata.yaml").write_text(f"output_validator_args: '{args}'\n")
        for i, x in enumerate(numbers):
            (g / f"{i}.in").write_text(f"{x}\n")
            (g / f"{i}.ans").write_text("\n")
    return d


def write_split_testlib_dir(root: Path) -> Path:
    """The directory format: problem.md with a sample, tests/*.in+.out, checker.cpp."""
    d = root / "split-dir"
    (d / "tests" / "hidden").mkdir(parents=True)
    (d / "problem.md").write_text(
        SPLIT_STATEMENT + "\n## Sample Input\n\n```\n7\n```\n\n## Sample Output\n\n```\n0 7\n```\n"
    )
    (d / "tests" / "two.in").write_text("2\n")
    (d / "tests" / "two.out").write_text("0 2\n")
    (d / "tests" / "hidden" / "large.in").write_text("999999999\n")
    (d / "tests" / "hidden" / "large.out").write_text("0 999999999\n")
    (d / "checker.cpp").write_text(TESTLIB_CHECKER_CPP)
    return d
