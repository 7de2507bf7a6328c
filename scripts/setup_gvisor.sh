#!/usr/bin/env bash
# gVisor for the sandbox (idempotent): install Debian's `runsc` and register it with the
# Docker engine as the runtime "runsc" in /etc/docker/daemon.json. A running engine is
# reloaded with SIGHUP (runtimes reload without a restart, so running containers live on);
# an engine that is not running yet reads the file when it starts.
#   scripts/setup_gvisor.sh          install + register (+ reload)
#   scripts/setup_gvisor.sh --check  exit 0 when the engine lists the runtime, else 1
set -euo pipefail

DAEMON_JSON=${PACORE_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
RUNSC=/usr/bin/runsc

say() { printf '\033[1m[setup gvisor]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup gvisor] %s\033[0m\n' "$*" >&2; exit 1; }

engine_has_runsc() {
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'
}

if [ "${1:-}" = "--check" ]; then
  engine_has_runsc
  exit
fi

if [ ! -x "$RUNSC" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "runsc is missing: install gVisor (as root on Debian: apt-get install -y runsc) and run this again."
  fi
  say "installing runsc (gVisor) from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc >/dev/null
fi
[ -x "$RUNSC" ] || die "runsc was not installed at $RUNSC"

if [ ! -w "$(dirname "$DAEMON_JSON")" ] && [ ! -w "$DAEMON_JSON" ]; then
  mkdir -p "$(dirname "$DAEMON_JSON")" 2>/dev/null || die "cannot write $DAEMON_JSON: run as root"
fi

# Merge the runtime into daemon.json, keeping every other setting; write only on change.
changed=$(python3 - "$DAEMON_JSON" "$RUNSC" <<'PY'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
want = {"path": runsc, "runtimeArgs": ["--platform=ptrace", "--network=none"]}
try:
    with open(path) as fh:
        text = fh.read()
    config = json.loads(text) if text.strip() else {}
except FileNotFoundError:
    config = {}
except ValueError as exc:
    sys.exit(f"{path} is not valid JSON ({exc}): fix it by hand, then run this again")
if not isinstance(config, dict):
    sys.exit(f"{path} must hold a JSON object")
runtimes = config.setdefault("runtimes", {})
if runtimes.get("runsc") == want:
    print("no")
    sys.exit(0)
runtimes["runsc"] = want
tmp = f"{path}.pacore-tmp"
with open(tmp, "w") as fh:
    json.dump(config, fh, indent=2)
    fh.write("\n")
os.replace(tmp, path)
print("yes")
PY
) || die "could not update $DAEMON_JSON"

if [ "$changed" = yes ]; then
  say "registered runtime runsc in $DAEMON_JSON"
fi

pid=$(cat /var/run/docker.pid 2>/dev/null || pidof dockerd 2>/dev/null || true)
pid=${pid%% *}
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  if ! engine_has_runsc; then
    say "reloading the Docker engine's configuration (SIGHUP, no restart)"
    kill -HUP "$pid"
    for _ in $(seq 1 40); do engine_has_runsc && break; sleep 0.25; done
    engine_has_runsc || die "dockerd did not pick up the runsc runtime; see its log"
  fi
  say "runsc registered with the running Docker engine"
else
  say "runsc registered; the Docker engine reads it when it starts"
fi
