"""The VS Code client's result types are generated from the server's models and checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.lsp.conftest import REPO

SCRIPT = REPO / "scripts" / "gen_protocol_ts.py"
GENERATED = REPO / "editor-clients" / "vscode" / "src" / "protocolTypes.ts"


def check(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(out)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_generated_types_match_the_models() -> None:
    proc = check(GENERATED)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = GENERATED.read_text()
    assert "export interface SolveReport {" in text and "  applied: 'edit' | 'separate_document'" \
        " | 'none';" in text


def test_a_hand_edit_is_caught(tmp_path: Path) -> None:
    drifted = tmp_path / "protocolTypes.ts"
    drifted.write_text(GENERATED.read_text().replace("  ttc_tokens: number;\n", ""))
    proc = check(drifted)
    assert proc.returncode == 1
    assert "+  ttc_tokens: number;" in proc.stdout
    assert "out of date" in proc.stderr
