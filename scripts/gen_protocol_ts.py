"""Generate editor-clients/vscode/src/protocolTypes.ts from the server's pydantic models.

The results the language server sends (`pacore.solve`, `pacore.cancel`, `pacore.report`,
`pacore.doctor`, `pacore.runPage`, `pacore.runs`) are pydantic models; the VS Code client's
types are this script's output, so they cannot drift from the server
(tests/lsp/test_protocol_types.py runs `--check`).
Usage: .venv/bin/python scripts/gen_protocol_ts.py [--check] [--out FILE]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import models_json_schema  # noqa: E402

from lsp_server.protocol import CancelResult, SolveStarted  # noqa: E402
from lsp_server.report import SolveReport  # noqa: E402
from lsp_server.runs import RunEntry, RunPage  # noqa: E402
from pacore_core.doctor import DoctorReport  # noqa: E402

OUT = ROOT / "editor-clients" / "vscode" / "src" / "protocolTypes.ts"
MODELS: list[type[BaseModel]] = [SolveStarted, CancelResult, SolveReport, DoctorReport, RunPage, RunEntry]
RENAME = {"Check": "DoctorCheck", "SelectedCandidate": "ReportSelected"}
HEADER = """\
/**
 * Types of the results the PaCoRe language server sends, generated from its pydantic models
 * by scripts/gen_protocol_ts.py. Do not edit: change the models and run
 * `.venv/bin/python scripts/gen_protocol_ts.py` (tests/lsp/test_protocol_types.py checks it).
 * Every field is always present in what the server sends.
 */
"""


def _name(ref: str) -> str:
    raw = ref.rsplit("/", 1)[-1]
    return RENAME.get(raw, raw)


def ts_type(schema: dict[str, Any]) -> str:
    """The TypeScript type of one JSON schema node (the subset pydantic emits here)."""
    if "$ref" in schema:
        return _name(schema["$ref"])
    if "anyOf" in schema:
        return " | ".join(ts_type(s) for s in schema["anyOf"])
    if "const" in schema:
        return json.dumps(schema["const"]).replace('"', "'")
    if "enum" in schema:
        return " | ".join(json.dumps(v).replace('"', "'") for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(ts_type({**schema, "type": k}) for k in kind)
    if kind == "array":
        item = ts_type(schema.get("items", {}))
        return f"({item})[]" if " | " in item else f"{item}[]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"Record<string, {ts_type(extra)}>" if isinstance(extra, dict) else \
            "Record<string, unknown>"
    simple = {"string": "string", "integer": "number", "number": "number",
              "boolean": "boolean", "null": "null"}
    if kind in simple:
        return simple[kind]
    raise ValueError(f"no TypeScript type for JSON schema {schema!r}")


def _doc(text: str, indent: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in lines), f"{indent} */"]


def interface(name: str, schema: dict[str, Any]) -> str:
    out = _doc(schema["description"], "") if schema.get("description") else []
    out.append(f"export interface {name} {{")
    for prop, sub in schema.get("properties", {}).items():
        if sub.get("description"):
            out.extend(_doc(sub["description"], "  "))
        out.append(f"  {prop}: {ts_type(sub)};")
    out.append("}")
    return "\n".join(out)


def generate() -> str:
    _, top = models_json_schema([(m, "serialization") for m in MODELS],
                                ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top["$defs"]
    parts = [interface(_name(key), defs[key]) for key in sorted(defs, key=_name)]
    return HEADER + "\n" + "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 with a diff if the file is not what the models generate")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(args.out),
                                    "generated from the pydantic models", lineterm="")
        print("\n".join(diff))
        print(f"{args.out} is out of date: run .venv/bin/python scripts/gen_protocol_ts.py",
              file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
