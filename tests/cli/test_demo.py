"""`make demo`'s job (scripts/demo.sh) from this checkout: the bundled example, replayed,
comes back solved. The checkout is a project (`pyproject.toml`, `.git`), and the example's
tests import `solution` (a lone file's name): once project mode took it and every
candidate failed with "No module named 'solution'"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import clean_env

REPO = Path(__file__).resolve().parents[2]


def test_demo_script_solves_the_bundled_example(docker_ready: None) -> None:
    env = clean_env(PACORE_VENV=sys.prefix)
    proc = subprocess.run(["bash", "scripts/demo.sh"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    both = proc.stdout + proc.stderr  # the run's report is on stderr, the program on stdout
    assert proc.returncode == 0, both[-4000:]
    assert "solved: accepted 5/5 tests" in proc.stderr, both[-4000:]
    assert "project mode" not in proc.stderr
    assert "Chosen implementation:\ndef merge_intervals(intervals):" in proc.stdout
