"""Go (Debian bookworm's 1.19): `go build` of one file, standard library only."""

from sandbox.languages.spec import LanguageSpec

LANGUAGE = LanguageSpec(
    name="go",
    display="Go",
    source="solution.go",
    compile=("go", "build", "-o", "solution", "{source}"),
    run=("./solution",),
    aliases=("golang",),
    fences=("go", "golang"),
    extensions=(".go",),
    packages=("golang-go",),
    # one OS thread runs Go code (the sandbox gives a candidate one CPU); the build cache
    # goes to $HOME/.cache, the job's own directory, wiped after the candidate; the garbage
    # collector aims to keep the heap under the memory limit
    env={"GOMAXPROCS": "1", "GO111MODULE": "off", "CGO_ENABLED": "0",
         "GOMEMLIMIT": "{memory_mb}MiB"},
    # the Go runtime reserves (not uses) gigabytes of address space for its page allocator
    # at start ("failed to reserve page summary memory" under RLIMIT_AS): the container's
    # memory limit bounds it instead
    address_space_limit=False,
    memory_markers=("runtime: out of memory",),
    # the toolchain's own precompiled packages (140 MB) and its test suite: `go build` of a
    # program needs neither; nor the standard library's tests and their data (go/build skips
    # both: ~100 MB), the API lists, and the tools that are not the compiler, linker,
    # assembler, cgo, pack or buildid (profilers, tracer, vet, docs: ~50 MB)
    image_prune=("/usr/lib/go-*/pkg/linux_amd64/cmd", "/usr/share/go-*/test", "/usr/share/go-*/api",
                 "/usr/share/go-*/src/**/testdata", "/usr/share/go-*/src/**/*_test.go",
                 *(f"/usr/lib/go-*/pkg/tool/linux_amd64/{tool}" for tool in (
                     "addr2line", "api", "cover", "dist", "doc", "fix", "nm", "objdump", "pprof",
                     "test2json", "trace", "vet"))),
    io_conventions="Write package main using only the standard library; read with "
    "bufio.NewReader(os.Stdin) (fmt.Fscan on it) and write through bufio.NewWriter(os.Stdout), "
    "flushing it before main returns.",
)
