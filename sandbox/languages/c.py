"""C (gnu11) with gcc -O2 and the math library, as contest judges compile it."""

from sandbox.languages.spec import LanguageSpec

LANGUAGE = LanguageSpec(
    name="c",
    display="C (gnu11)",
    source="solution.c",
    compile=("gcc", "-O2", "-std=gnu11", "-pipe", "-o", "solution", "{source}", "-lm"),
    run=("./solution",),
    aliases=("gcc", "c11", "gnu11"),
    fences=("c", "h"),
    extensions=(".c",),
    packages=("gcc", "libc6-dev"),
    # gcc's link-time optimiser (only -flto runs it) and its sanitizer runtimes (only
    # -fsanitize links them): ~65 MB that no judge build reads (g++ shares them)
    image_prune=("/usr/lib/gcc/x86_64-linux-gnu/*/lto1", "/usr/lib/gcc/x86_64-linux-gnu/*/lib*san*",
                 "/usr/lib/x86_64-linux-gnu/lib*san.so*"),
    io_conventions="Use scanf/printf from <stdio.h> (the program is built with "
    "gcc -O2 -std=gnu11 -lm).",
)
