"""One small problem ("print the largest of n integers") solved in every compiled language,
plus a program of each that does not compile: shared by the end-to-end, sandbox and
benchmark code so every language is exercised the same way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguagePrograms:
    good: str  # prints the largest of n integers (64-bit)
    broken: str  # does not compile: uses the undeclared `undefined_thing`
    diagnostic: str  # what the compiler's message about `broken` says


MAXIMUM = {
    "c": LanguagePrograms(
        good='#include <stdio.h>\nint main(void) {\n  long long n, x, best = -(1LL << 62);\n'
        '  if (scanf("%lld", &n) != 1) return 1;\n'
        '  for (long long i = 0; i < n; i++) { scanf("%lld", &x); if (x > best) best = x; }\n'
        '  printf("%lld\\n", best);\n  return 0;\n}\n',
        broken='#include <stdio.h>\nint main(void) {\n  printf("%d\\n", undefined_thing);\n'
        "  return 0;\n}\n",
        diagnostic="undeclared",
    ),
    "cpp": LanguagePrograms(
        good="#include <iostream>\nint main() { long long n, x, best = -(1LL << 62); std::cin >> n;\n"
        "  for (long long i = 0; i < n; ++i) { std::cin >> x; if (x > best) best = x; }\n"
        '  std::cout << best << "\\n"; }\n',
        broken="#include <iostream>\nint main() { std::cout << undefined_thing; }\n",
        diagnostic="was not declared",
    ),
    "java": LanguagePrograms(
        # not `Main`: the class holding main runs, whatever its name (as on Kattis)
        good="import java.io.*;\nimport java.util.*;\n\nclass Reader {\n"
        "  static long[] longs(BufferedReader in) throws IOException {\n"
        "    StreamTokenizer t = new StreamTokenizer(in);\n"
        "    t.resetSyntax(); t.wordChars('-', '-'); t.wordChars('0', '9'); t.whitespaceChars(0, ' ');\n"
        "    List<Long> out = new ArrayList<>();\n"
        "    while (t.nextToken() != StreamTokenizer.TT_EOF) out.add(Long.parseLong(t.sval));\n"
        "    return out.stream().mapToLong(Long::longValue).toArray();\n  }\n}\n\n"
        "public class Maximum {\n"
        "  public static void main(String[] args) throws IOException {\n"
        "    long[] v = Reader.longs(new BufferedReader(new InputStreamReader(System.in)));\n"
        "    long best = Long.MIN_VALUE;\n"
        "    for (int i = 1; i <= v[0]; i++) best = Math.max(best, v[i]);\n"
        "    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));\n"
        "    out.println(best);\n    out.flush();\n  }\n}\n",
        broken="public class Broken {\n  public static void main(String[] args) {\n"
        "    System.out.println(undefined_thing);\n  }\n}\n",
        diagnostic="cannot find symbol",
    ),
    "rust": LanguagePrograms(
        good="use std::io::{self, Read, Write};\n\nfn main() {\n    let mut s = String::new();\n"
        "    io::stdin().read_to_string(&mut s).unwrap();\n"
        "    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
        "    let best = v[1..=v[0] as usize].iter().max().unwrap();\n"
        "    let mut out = io::BufWriter::new(io::stdout());\n"
        '    writeln!(out, "{}", best).unwrap();\n}\n',
        broken='fn main() {\n    println!("{}", undefined_thing);\n}\n',
        diagnostic="cannot find value",
    ),
    "go": LanguagePrograms(
        good='package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
        "\tin := bufio.NewReader(os.Stdin)\n\tout := bufio.NewWriter(os.Stdout)\n"
        "\tdefer out.Flush()\n\tvar n int\n\tfmt.Fscan(in, &n)\n\tbest := int64(-1 << 62)\n"
        "\tfor i := 0; i < n; i++ {\n\t\tvar x int64\n\t\tfmt.Fscan(in, &x)\n"
        "\t\tif x > best {\n\t\t\tbest = x\n\t\t}\n\t}\n\tfmt.Fprintln(out, best)\n}\n",
        broken='package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(undefined_thing)\n}\n',
        diagnostic="undefined: undefined_thing",
    ),
}

MAXIMUM_STATEMENT = """# Maximum

Read `n`, then `n` integers (each fits in 64 bits); print the largest.

Sample input:
```
3
4 9 2
```
Sample output:
```
9
```
"""


def maximum_tests(count: int) -> list[tuple[str, str]]:
    """`count` (input, output) pairs of the Maximum problem, deterministic."""
    out = []
    for i in range(count):
        values = [(j * 7919 + i * 104729) % 2_000_003 - 1_000_001 for j in range(1, 50 + i)]
        values.append(10**12 + i if i % 3 == 0 else -5)
        out.append((f"{len(values)}\n{' '.join(map(str, values))}\n", f"{max(values)}\n"))
    return out
