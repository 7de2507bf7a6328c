"""Which collected pytest items a node id names, by pytest's own rule.

Why: the language server names tests as `file::test_x` or `file::TestC::test_y`, but a
parametrized test is collected as `file::test_x[1-2-3]` (one item per case, `pytest.param`
ids included). Matching ids exactly reported every parametrized test as "no result", and
the editor refused such projects. A node id given to pytest selects the node itself, every
parametrized instance of it and everything inside it (a file, a class); so does this.
Shared by the runner in the sandbox and the host, which checks every named test got a result.
"""

from __future__ import annotations

NOT_COLLECTED = "not collected: pytest collects no test with this id"
"""The message of a named test pytest does not collect while its file imports fine (a class
pytest passes over because it has `__init__`, python_functions set otherwise, ...)."""


def selects(wanted: str, nodeid: str) -> bool:
    """`wanted` names `nodeid`: the same node, a parametrized instance of it, or a node inside."""
    return nodeid == wanted or nodeid.startswith(wanted + "[") or nodeid.startswith(wanted + "::")


def selected(wanted: list[str], nodeid: str) -> bool:
    return any(selects(w, nodeid) for w in wanted)


def expand(wanted: list[str], collected: list[str]) -> list[str]:
    """The collected ids each wanted id names, in the wanted order then pytest's; a wanted id
    naming nothing stays as it is (it is reported as not collected)."""
    out: dict[str, None] = {}
    for w in wanted:
        hits = [n for n in collected if selects(w, n)]
        for n in hits or [w]:
            out.setdefault(n, None)
    return list(out)
