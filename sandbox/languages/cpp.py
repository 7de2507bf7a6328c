"""C++17 with g++ -O2, as contest judges compile it."""

from sandbox.languages.spec import LanguageSpec

LANGUAGE = LanguageSpec(
    name="cpp",
    display="C++17",
    source="solution.cpp",
    compile=("g++", "-O2", "-std=gnu++17", "-pipe", "-o", "solution", "{source}"),
    run=("./solution",),
    aliases=("c++", "cxx", "cc", "g++"),
    # ```c stays accepted as C++ when C++ was asked for (earlier behaviour)
    fences=("cpp", "c++", "cc", "cxx", "c", "hpp"),
    extensions=(".cpp", ".cc", ".cxx", ".c++"),
    packages=("g++",),
    memory_markers=("bad_alloc",),
)
