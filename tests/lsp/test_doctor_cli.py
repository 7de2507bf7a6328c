"""`pacore doctor` against the scripted model server: what is wrong, and how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.lsp.conftest import REPO
from tests.support.scripted_server import Reply, ScriptedServer


def doctor(env_extra: dict[str, str]) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACORE_") or k == "PACORE_SANDBOX_TAG"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-m", "pacore_cli.main", "doctor", "--json"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    return proc.returncode, {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_reports_model_endpoint_and_fixes() -> None:
    with ScriptedServer(Reply("ok")) as srv:
        _, ok = doctor({"PACORE_BASE_URL": srv.base_url, "PACORE_MODEL": srv.model})
        assert ok["model endpoint"]["ok"] and srv.model in ok["model endpoint"]["message"]
        _, wrong = doctor({"PACORE_BASE_URL": srv.base_url, "PACORE_MODEL": "other"})
        assert not wrong["model endpoint"]["ok"]
        assert srv.model in wrong["model endpoint"]["fix"]
    code, missing = doctor({})
    assert code == 1 and not missing["model endpoint"]["ok"]
    # fixes name the command line's flags, like every error of the CLI (not an editor setting)
    assert "set --base-url" in missing["model endpoint"]["fix"]
    assert not any("pacore." in c["fix"] for c in missing.values()), missing
    assert set(missing) == {"model endpoint", "docker engine", "sandbox image", "sandbox runtime"}
    for check in missing.values():
        assert check["ok"] or check["fix"], check


def test_doctor_checks_every_endpoint_of_several() -> None:
    with ScriptedServer(Reply("ok")) as srv:
        dead = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
        code, checks = doctor({"PACORE_BASE_URL": f"{srv.base_url},{dead}", "PACORE_MODEL": srv.model})
    first, second = checks["model endpoint 1 of 2"], checks["model endpoint 2 of 2"]
    assert first["ok"] and srv.base_url in first["message"]
    assert not second["ok"] and dead in second["message"]
    assert "or fix --base-url" in second["fix"] and "PACORE_" not in second["fix"]
    assert code == 1  # requests routed to the dead endpoint would fail
