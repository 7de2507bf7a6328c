# ruff: noqa: E501  (the checkers are other languages' sources, kept as written)
"""A problem's testlib checker in each compiled registered language (C, Java, Rust, Go): built
once in the sandbox, it accepts a right answer unlike the answer file and names a wrong one."""

from __future__ import annotations

import pytest

from sandbox import Candidate, IOSuite, IOTest, Limits, Sandbox
from sandbox.models import JudgeProgram
from tests.support.judge_problems import SPLIT_GOOD, SPLIT_WRONG

pytestmark = [pytest.mark.docker, pytest.mark.asyncio(loop_scope="module")]

TESTS = [IOTest(name="five", input="5\n", expected="0 5\n"), IOTest(name="zero", input="0\n", expected="0 0\n")]
# testlib: checker INPUT OUTPUT ANSWER; exit 0 accepted, 1 wrong answer (stderr: why)
CHECKERS = {
    "c": ("checker.c", r"""#include <stdio.h>
int main(int argc, char **argv) { long n, a, b; FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r");
  fscanf(in, "%ld", &n); if (fscanf(out, "%ld %ld", &a, &b) != 2) { fprintf(stderr, "wrong answer: two numbers expected\n"); return 1; }
  if (a < 0 || b < 0 || a + b != n) { fprintf(stderr, "wrong answer: %ld + %ld != %ld\n", a, b, n); return 1; }
  return 0; }
"""),
    "java": ("Checker.java", """import java.nio.file.*; import java.util.*;
public class Checker { public static void main(String[] args) throws Exception {
  long n = Long.parseLong(Files.readString(Path.of(args[0])).trim());
  String[] out = Files.readString(Path.of(args[1])).trim().split("\\\\s+");
  long a = Long.parseLong(out[0]), b = Long.parseLong(out[1]);
  if (a < 0 || b < 0 || a + b != n) { System.err.println("wrong answer: " + a + " + " + b + " != " + n); System.exit(1); }
} }
"""),
    "rust": ("checker.rs", r"""use std::fs;
fn main() { let args: Vec<String> = std::env::args().collect();
  let n: i64 = fs::read_to_string(&args[1]).unwrap().trim().parse().unwrap();
  let out: Vec<i64> = fs::read_to_string(&args[2]).unwrap().split_whitespace().map(|t| t.parse().unwrap()).collect();
  if out.len() != 2 || out[0] < 0 || out[1] < 0 || out[0] + out[1] != n {
    eprintln!("wrong answer: {} + {} != {}", out[0], out[1], n); std::process::exit(1); } }
"""),
    "go": ("checker.go", """package main
import ("fmt"; "os"; "strings"; "strconv")
func main() { in, _ := os.ReadFile(os.Args[1]); out, _ := os.ReadFile(os.Args[2])
  n, _ := strconv.Atoi(strings.TrimSpace(string(in))); f := strings.Fields(string(out))
  a, _ := strconv.Atoi(f[0]); b, _ := strconv.Atoi(f[1])
  if a < 0 || b < 0 || a+b != n { fmt.Fprintf(os.Stderr, "wrong answer: %d + %d != %d\\n", a, b, n); os.Exit(1) } }
"""),
}


@pytest.mark.parametrize("language", sorted(CHECKERS))
async def test_a_checker_in_each_compiled_language(docker_sandbox: Sandbox, language: str) -> None:
    name, source = CHECKERS[language]
    checker = JudgeProgram(convention="testlib", language=language, main=name, files={name: source})
    suite = IOSuite(tests=TESTS, checker=checker)
    limits = Limits(timeout_s=4)
    good = await docker_sandbox.run(Candidate(code=SPLIT_GOOD), suite, limits)
    assert good.verdict == "passed" and good.passed == 2, [t.message for t in good.tests]
    wrong = await docker_sandbox.run(Candidate(code=SPLIT_WRONG), suite, limits)
    assert wrong.verdict == "failed", [t.message for t in wrong.tests]
    assert "wrong answer: 5 + 1 != 5" in (wrong.tests[0].message or "")
