"""Rust (edition 2021) with rustc -O, standard library only, as on Codeforces and Kattis."""

from sandbox.languages.spec import LanguageSpec

LANGUAGE = LanguageSpec(
    name="rust",
    display="Rust (edition 2021)",
    source="solution.rs",
    compile=("rustc", "-O", "--edition", "2021", "-o", "solution", "{source}"),
    run=("./solution",),
    aliases=("rs", "rustc"),
    fences=("rust", "rs"),
    extensions=(".rs",),
    packages=("rustc",),
    # the test harness crates (rustc --test links them; a judge build never does): ~28 MB
    image_prune=("/usr/lib/rustlib/*/lib/libtest-*", "/usr/lib/rustlib/*/lib/libgetopts-*",
                 "/usr/lib/x86_64-linux-gnu/libtest-*.so"),
    memory_markers=("memory allocation of",),
    io_conventions="Use only the standard library (no crates): read all of stdin with "
    "std::io::Read::read_to_string and write through a std::io::BufWriter over stdout "
    "(built with rustc -O).",
)
