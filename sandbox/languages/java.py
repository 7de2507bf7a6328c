"""Java 17 (OpenJDK): javac once, then the class holding `main` runs, whatever its name
(as on Kattis), with a heap sized to the memory limit and a deep stack."""

from __future__ import annotations

import re

from sandbox.languages.spec import LanguageSpec

# comments, then string/char literals (text blocks first): blanked before scanning braces
_NOISE = re.compile(r'//[^\n]*|/\*.*?\*/|"""(?:\\.|[^\\])*?"""|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                    re.DOTALL)  # fmt: skip
_TOKEN = re.compile(
    r"(?P<decl>\b(?:class|interface|enum|record)\s+(?P<name>[A-Za-z_$][\w$]*))"
    r"|(?P<main>\bstatic\s+(?:\w+\s+)*void\s+main\s*\(\s*(?:final\s+)?String\b)|(?P<open>\{)|(?P<close>\})|(?P<end>;)"
)


def entry(code: str) -> tuple[str, str]:
    """(source file name, class to run): javac wants a public class in a file of its name;
    the JVM is started on the top-level type that declares `main`."""
    text = _NOISE.sub(" ", code)
    depth = 0
    current: str | None = None  # the top-level type whose body we are in
    pending: tuple[str, bool] | None = None  # a top-level declaration before its `{`
    public: str | None = None
    first: str | None = None
    main: str | None = None
    last_stop = 0
    for m in _TOKEN.finditer(text):
        if m.group("decl") and depth == 0:
            is_public = re.search(r"\bpublic\b", text[last_stop : m.start()]) is not None
            pending = (m.group("name"), is_public)
        elif m.group("open"):
            if depth == 0 and pending is not None:
                current, is_public = pending
                first = first or current
                if is_public:
                    public = public or current
                pending = None
            depth += 1
            last_stop = m.end()
        elif m.group("close"):
            depth = max(depth - 1, 0)
            if depth == 0:
                current = None
            last_stop = m.end()
        elif m.group("end"):
            last_stop = m.end()
        elif m.group("main") and depth == 1 and current is not None and main is None:
            main = current
    source = f"{public}.java" if public else "Main.java"
    return source, main or public or first or "Main"


LANGUAGE = LanguageSpec(
    name="java",
    display="Java 17",
    source="Main.java",
    compile=("javac", "-encoding", "UTF-8", "-nowarn", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData",
             "-J-XX:TieredStopAtLevel=1", "-J-Xss64m", "-d", ".", "{source}"),
    run=("java", "-Xmx{heap_mb}m", "-Xss64m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
         "-XX:ActiveProcessorCount=1", "-XX:ReservedCodeCacheSize=64m", "-cp", ".", "{main}"),
    aliases=("java17", "jdk"),
    fences=("java",),
    extensions=(".java",),
    packages=("openjdk-17-jdk-headless",),
    # the JDK's module files are for jlink (75 MB); javac and java read lib/modules
    image_prune=("/usr/lib/jvm/*/jmods",),
    # the JVM starts in ~0.3-0.5 s and warms up its JIT while the test runs
    time_multiplier=2.0,
    # the JVM reserves far more address space than it uses: RLIMIT_AS would stop it at
    # start; the heap is bounded by -Xmx and the process by the container's memory limit
    address_space_limit=False,
    # the heap is bounded by -Xmx and reported as OutOfMemoryError; the JVM's resident size
    # is not the program's (under gVisor a 64 MB array showed 258 MB resident)
    rss_limit=False,
    memory_markers=("OutOfMemoryError",),
    io_conventions="Put main in a class of any name and declare no package; read input "
    "through a BufferedReader over System.in (Scanner is slow on large inputs) and print "
    "through a PrintWriter or StringBuilder, flushed before main returns.",
    entry=entry,
)
