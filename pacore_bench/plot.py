"""pass@1 against effective TTC tokens per strategy, like the paper's scaling figure."""

from __future__ import annotations

from pathlib import Path

from pacore_bench.harness import StrategySummary
from pacore_core.files import replacing

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 x 500 pixels


def plot_scaling(summaries: list[StrategySummary], path: Path, *, title: str = "") -> Path:
    """Write a PNG; PaCoRe points are joined in order of compute, baselines stand alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    try:
        families: dict[str, list[StrategySummary]] = {}
        for s in summaries:
            if s.rows:
                families.setdefault(_family(s.strategy), []).append(s)
        markers = {"PaCoRe": "o", "best-of-N": "s", "self-consistency": "^", "single": "D"}
        for family, items in families.items():
            items = sorted(items, key=lambda s: s.ttc_tokens)
            xs = [s.ttc_tokens for s in items]
            ys = [100.0 * s.pass_at_1 for s in items]
            ax.plot(xs, ys, marker=markers.get(family, "o"), linestyle="-" if len(xs) > 1
                    else "none", label=family)
            for s, x, y in zip(items, xs, ys, strict=True):
                ax.annotate(s.strategy, (x, y), textcoords="offset points", xytext=(4, 4),
                            fontsize=8)
        xs_all = [s.ttc_tokens for f in families.values() for s in f]
        if xs_all and min(xs_all) > 0 and max(xs_all) / min(xs_all) > 10:
            ax.set_xscale("log")
        ax.set_xlabel("effective TTC tokens per problem (mean)")
        ax.set_ylabel("pass@1 on hidden tests (%)")
        ax.set_ylim(-2, 102)
        ax.grid(True, alpha=0.3)
        ax.set_title(title or "pass@1 vs test-time compute")
        if families:
            ax.legend(loc="lower right")
        with replacing(path) as tmp:
            fig.savefig(tmp, dpi=DPI, format="png")
    finally:
        plt.close(fig)
    return path


def _family(name: str) -> str:
    if name.startswith("pacore"):
        return "PaCoRe"
    if name.startswith("best-of"):
        return "best-of-N"
    if name.startswith("self-consistency"):
        return "self-consistency"
    return name
