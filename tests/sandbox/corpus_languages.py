"""Hostile programs in each language added with the registry (C, Java, Rust, Go): fork
bombs, huge output, infinite loops, memory hogs and network attempts, all stdin/stdout
programs, all of which must be contained under runc and runsc."""

from __future__ import annotations

from tests.sandbox.corpus import Case

DOCKER = ("docker",)
RUNAWAY = frozenset({"timeout", "error", "memory_limit"})  # stopped, whichever limit hit first

# language -> case name -> (program, verdicts it may get)
PROGRAMS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    "c": {
        "fork_bomb": (
            "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n", RUNAWAY),
        "stdout_flood": (
            '#include <stdio.h>\nint main(void) { for (;;) puts("yyyyyyyyyyyyyyyyyyyyyyyy"); }\n',
            frozenset({"output_limit"})),
        "busy_loop": (
            "int main(void) { volatile long i = 0; for (;;) i++; }\n", frozenset({"timeout"})),
        # memory is what a program touches (no address-space limit, so malloc does not
        # return NULL and the crash on it no longer hides the memory limit)
        "memory_hog": (
            "#include <stdlib.h>\n#include <string.h>\nchar *volatile kept[1 << 16];\n"
            "int main(void) {\n"
            "  for (int n = 0;; n++) { kept[n] = malloc(1 << 24); memset(kept[n], 1, 1 << 24); } }\n",
            frozenset({"memory_limit"})),
        "network": (
            "#include <arpa/inet.h>\n#include <stdio.h>\n#include <sys/socket.h>\n"
            "int main(void) { int s = socket(AF_INET, SOCK_STREAM, 0);\n"
            "  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(80);\n"
            '  inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);\n'
            "  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;\n"
            '  puts("4"); return 0; }\n',
            frozenset({"error"})),
    },
    "java": {
        "fork_bomb": (
            "public class Bomb { public static void main(String[] a) {\n"
            "  while (true) { try { new ProcessBuilder(\"/bin/sh\", \"-c\", \"sleep 100\").start(); }\n"
            "    catch (Exception e) { } } } }\n", RUNAWAY),
        "stdout_flood": (
            "public class Flood { public static void main(String[] a) {\n"
            '  while (true) System.out.println("yyyyyyyyyyyyyyyyyyyyyyyy"); } }\n',
            frozenset({"output_limit"})),
        "busy_loop": (
            "public class Spin { static volatile long i;\n"
            "  public static void main(String[] a) { while (true) i++; } }\n",
            frozenset({"timeout"})),
        "memory_hog": (
            "import java.util.*;\npublic class Hog { public static void main(String[] a) {\n"
            "  List<long[]> hog = new ArrayList<>(); while (true) hog.add(new long[1 << 20]); } }\n",
            frozenset({"memory_limit"})),
        "network": (
            "public class Net { public static void main(String[] a) throws Exception {\n"
            '  new java.net.Socket("1.1.1.1", 80).close(); System.out.println(4); } }\n',
            frozenset({"error"})),
    },
    "rust": {
        "fork_bomb": (
            "fn main() { loop { let _ = std::process::Command::new(\"/proc/self/exe\").spawn(); } }\n",
            RUNAWAY),
        "stdout_flood": (
            "use std::io::Write;\nfn main() { let mut o = std::io::stdout();\n"
            '  loop { let _ = o.write_all(b"yyyyyyyyyyyyyyyyyyyyyyyy\\n"); } }\n',
            frozenset({"output_limit"})),
        "busy_loop": (
            "fn main() { let mut i: u64 = 0;\n"
            "  loop { unsafe { std::ptr::write_volatile(&mut i, std::ptr::read_volatile(&i) + 1) } } }\n",
            frozenset({"timeout"})),
        "memory_hog": (
            "fn main() { let mut hog: Vec<Vec<u8>> = Vec::new();\n"
            "  loop { let mut v = Vec::with_capacity(1 << 24); v.push(1u8); hog.push(v); } }\n",
            frozenset({"memory_limit"})),
        "network": (
            'fn main() { std::net::TcpStream::connect("1.1.1.1:80").unwrap(); println!("4"); }\n',
            frozenset({"error"})),
    },
    "go": {
        "fork_bomb": (
            'package main\n\nimport (\n\t"os"\n\t"os/exec"\n)\n\n'
            "func main() {\n\tfor {\n\t\t_ = exec.Command(os.Args[0]).Start()\n\t}\n}\n",
            RUNAWAY),
        "stdout_flood": (
            'package main\n\nimport "os"\n\nfunc main() {\n'
            '\tfor {\n\t\tos.Stdout.WriteString("yyyyyyyyyyyyyyyyyyyyyyyy\\n")\n\t}\n}\n',
            frozenset({"output_limit"})),
        "busy_loop": (
            "package main\n\nvar i int\n\nfunc main() {\n\tfor {\n\t\ti++\n\t}\n}\n",
            frozenset({"timeout"})),
        "memory_hog": (
            "package main\n\nvar hog [][]byte\n\nfunc main() {\n\tfor {\n"
            "\t\tb := make([]byte, 1<<24)\n\t\tfor i := 0; i < len(b); i += 4096 {\n\t\t\tb[i] = 1\n\t\t}\n"
            "\t\thog = append(hog, b)\n\t}\n}\n",
            # stopped when its resident size passes the limit; on a loaded machine page
            # faults can be slow enough (and GOMEMLIMIT's collector busy enough) that the
            # time limit comes first
            frozenset({"memory_limit", "timeout"})),
        "network": (
            'package main\n\nimport (\n\t"fmt"\n\t"net"\n)\n\nfunc main() {\n'
            '\tc, err := net.Dial("tcp", "1.1.1.1:80")\n\tif err != nil {\n\t\tpanic(err)\n\t}\n'
            "\tc.Close()\n\tfmt.Println(4)\n}\n",
            frozenset({"error"})),
    },
}

# a compiled program's start (the JVM's above all) on a busy 2-core machine: 3 s per test
TIMEOUT_S = 3.0

CASES: list[Case] = [
    Case(f"{name}_{language}", code, {backend: verdicts for backend in DOCKER}, kind="io",
         language=language, timeout_s=TIMEOUT_S)
    for language, cases in PROGRAMS.items()
    for name, (code, verdicts) in cases.items()
]
