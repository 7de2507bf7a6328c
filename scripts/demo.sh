#!/usr/bin/env bash
# The main job: solve the bundled example through the whole pipeline.
# With PACORE_BASE_URL and PACORE_MODEL set it asks the live model; otherwise it replays
# the completions recorded in examples/demo/record.json (sandbox and prompts run for real).
set -euo pipefail
cd "$(dirname "$0")/.."
PACORE=${PACORE_VENV:-.venv}/bin/pacore
DEMO=examples/demo
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=("$DEMO/merge_intervals.py" --tests "$DEMO/test_merge_intervals.py" --output "$out/solution.py")
if [ -n "${PACORE_BASE_URL:-}" ] && [ -n "${PACORE_MODEL:-}" ]; then
  echo "Live model: $PACORE_MODEL at $PACORE_BASE_URL"
  args+=(--record "$out/record.json")
else
  echo "No model server configured (PACORE_BASE_URL / PACORE_MODEL are not set):"
  echo "the model's completions are REPLAYED from $DEMO/record.json. The Docker sandbox,"
  echo "compaction and the synthesis prompts run for real."
  args+=(--replay "$DEMO/record.json")
fi
status=0
"$PACORE" solve "${args[@]}" || status=$?
if [ -f "$out/solution.py" ]; then
  echo; echo "Chosen implementation:"; cat "$out/solution.py"
fi
exit $status
