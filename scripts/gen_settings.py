"""Generate every editor's settings table, and docs/configuration.md, from the key table.

The key table (`pacore_core.config.KEYS`) defines each setting once. This script writes what
the editors declare from it, so no client knows fewer keys, other types or other defaults
than the server:

- `editor-clients/vscode/package.json` `contributes.configuration` (the Settings UI: type,
  default, enum, bounds, description, scope; `apiKey` is machine-scoped), plus the three
  settings only the VS Code client reads (`CLIENT_ONLY` below);
- `editor-clients/vscode/src/settingsTable.ts` (the keys the client sends to the server);
- `editor-clients/nvim/lua/pacore/settings_table.lua` (what the plugin's `config.lua` checks);
- the table of `docs/configuration.md` (between its markers; the prose is written by hand).

Usage: .venv/bin/python scripts/gen_settings.py [--check]
(tests/core/test_settings_tables.py runs `--check`, which fails when a file drifts.)
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

from pydantic import BaseModel, TypeAdapter  # noqa: E402

from pacore_core.config import KEYS, KeySpec, markdown_table  # noqa: E402

COMMAND = ".venv/bin/python scripts/gen_settings.py"
PACKAGE_JSON = ROOT / "editor-clients" / "vscode" / "package.json"
SETTINGS_TS = ROOT / "editor-clients" / "vscode" / "src" / "settingsTable.ts"
NVIM_TABLE = ROOT / "editor-clients" / "nvim" / "lua" / "pacore" / "settings_table.lua"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
MACHINE_SCOPED = {"api_key"}  # secrets: never from a workspace's settings (a cloned repo)

# Settings only the VS Code client reads (never sent to the server), after the server's.
CLIENT_ONLY: dict[str, dict[str, Any]] = {
    "pacore.previewDiff": {
        "type": "boolean", "default": False,
        "markdownDescription": "Show the proposed implementation as a diff and ask Accept / "
        "Reject before applying it. (VS Code only.)",
    },
    "pacore.serverPath": {
        "type": "string", "default": "",
        "markdownDescription": "Path of the `pacore-lsp` executable. Empty: use "
        "`pacore.pythonPath` or the selected Python interpreter with `-m pacore_cli.main lsp`, "
        "else `pacore-lsp` on PATH. (VS Code only.)",
        "scope": "machine-overridable",
    },
    "pacore.pythonPath": {
        "type": "string", "default": "",
        "markdownDescription": "Python interpreter that has `pacore-code` installed; the server "
        "is started as `<python> -m pacore_cli.main lsp`. Empty: the Python extension's "
        "selected interpreter. (VS Code only.)",
        "scope": "machine-overridable",
    },
}

ROUNDS_PATTERN = r"^(\s*[1-9][0-9]*\s*(,\s*[1-9][0-9]*\s*)*)?$"


# ------------------------------------------------------------------ field shapes


def _schema(spec: KeySpec) -> dict[str, Any]:
    """The key's JSON schema as pydantic validates it (constraints included, refs inlined)."""
    model = spec.model
    top = model.model_json_schema()
    node: dict[str, Any] = dict(top["properties"][spec.key])
    return _inline(node, top.get("$defs", {}))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _nullable(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the non-null branch, whether None is allowed)."""
    options = schema.get("anyOf")
    if not options:
        return schema, False
    rest = [o for o in options if o.get("type") != "null"]
    if len(rest) != 1:
        raise ValueError(f"no editor type for a union of {rest}")
    inner = {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
    return inner, len(rest) < len(options)


def _comma_text(spec: KeySpec) -> bool:
    """Lists that editors write as text (`"32,4"`, several URLs), as their flag does."""
    extra = spec.field.json_schema_extra
    names = extra.get("pacore") if isinstance(extra, dict) else None
    return isinstance(names, dict) and bool(names.get("comma_text"))


def _json_default(spec: KeySpec) -> Any:
    value = spec.default()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return TypeAdapter(Any).dump_python(value, mode="json")


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def vscode_property(spec: KeySpec, order: int) -> dict[str, Any]:
    """One `pacore.*` entry of package.json."""
    schema, nullable = _nullable(_schema(spec))
    default = _json_default(spec)
    kind = schema.get("type")
    prop: dict[str, Any] = {}
    if _comma_text(spec):
        prop["type"] = "string"
        prop["default"] = "" if spec.key == "rounds" else ",".join(map(str, default or []))
        if schema.get("items", {}).get("type") == "integer":
            prop["pattern"] = ROUNDS_PATTERN
            prop["patternErrorMessage"] = "comma-separated positive integers such as 32,4"
    elif "enum" in schema:
        prop["type"] = "string"
        prop["enum"] = list(schema["enum"])
        prop["default"] = default
    elif kind in ("integer", "number"):
        prop["type"] = [kind, "null"] if nullable else kind
        prop["default"] = default
        prop.update({b: schema[b] for b in BOUNDS if b in schema})
    elif kind == "string":  # text and paths; empty means unset
        prop["type"] = "string"
        prop["default"] = default if isinstance(default, str) else ""
    elif kind == "boolean":
        prop["type"] = "boolean"
        prop["default"] = default
    elif kind == "array":
        prop["type"] = "array"
        prop["items"] = {"type": schema.get("items", {}).get("type", "string")}
        prop["default"] = default
    elif kind == "object":
        prop["type"] = "object"
        prop["default"] = default
        if "properties" in schema:
            prop["properties"] = {
                name: {"type": sub.get("type"), **({"description": sub["description"]}
                                                   if sub.get("description") else {}),
                       **{b: sub[b] for b in BOUNDS if b in sub}}
                for name, sub in schema["properties"].items()}
            prop["additionalProperties"] = False
    else:
        raise ValueError(f"{spec.key}: no VS Code type for JSON schema {schema!r}")
    prop["markdownDescription"] = _description(spec)
    prop["scope"] = "machine" if spec.key in MACHINE_SCOPED else "resource"
    prop["order"] = order
    return prop


def _description(spec: KeySpec) -> str:
    text = spec.description[:1].upper() + spec.description[1:]
    if spec.key == "rounds":
        text += ". Empty: the preset's widths"
    elif _json_default(spec) in (None, ""):
        text += ". Empty: unset"
    names = [f"`[tool.pacore]` `{spec.key}`", f"`{spec.env}`"]
    if spec.flag:
        names.append(f"`{spec.flag}`")
    return f"{text}.\n\nAlso {', '.join(names)}; see docs/configuration.md."


def vscode_configuration() -> dict[str, Any]:
    props = {f"pacore.{spec.editor}": vscode_property(spec, i)
             for i, spec in enumerate(KEYS.values())}
    for i, (name, prop) in enumerate(CLIENT_ONLY.items(), start=len(props)):
        props[name] = {**prop, "order": i}
    return {"title": "PaCoRe", "properties": props}


def package_json(current: str) -> str:
    data = json.loads(current)
    data["contributes"]["configuration"] = vscode_configuration()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ the other files


def settings_ts() -> str:
    keys = ",\n".join(f"  '{spec.editor}'" for spec in KEYS.values())
    return (
        "/**\n"
        " * The `pacore.*` settings the server reads, generated from the key table\n"
        f" * (pacore_core/config.py) by scripts/gen_settings.py. Do not edit: run `{COMMAND}`.\n"
        " * Types, defaults and descriptions are in package.json (same generator).\n"
        " */\n"
        f"export const SERVER_SETTING_KEYS = [\n{keys},\n] as const;\n\n"
        "export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];\n"
    )


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _lua_types(spec: KeySpec) -> list[str]:
    schema, _ = _nullable(_schema(spec))
    kind = schema.get("type")
    if "enum" in schema or kind == "string":
        return ["string"]
    if kind in ("integer", "number"):
        return ["number"]
    if kind == "boolean":
        return ["boolean"]
    if kind == "array":  # a list, or the same as comma-separated text
        return ["table", "string"]
    if kind == "object":
        return ["table"]
    raise ValueError(f"{spec.key}: no Lua type for JSON schema {schema!r}")


def nvim_table() -> str:
    lines = [
        "--- The `pacore` settings the server reads, generated from the key table",
        f"--- (pacore_core/config.py) by scripts/gen_settings.py. Do not edit: run `{COMMAND}`.",
        "--- Each entry: accepted Lua types, the allowed values (enums) and the description.",
        "return {",
    ]
    for spec in KEYS.values():
        schema, _ = _nullable(_schema(spec))
        types = ", ".join(_lua_string(t) for t in _lua_types(spec))
        entry = [f"types = {{ {types} }}"]
        if "enum" in schema:
            entry.append(f"enum = {{ {', '.join(_lua_string(v) for v in schema['enum'])} }}")
        entry.append(f"key = {_lua_string(spec.key)}")
        entry.append(f"description = {_lua_string(spec.description)}")
        lines.append(f"  {spec.editor} = {{ {', '.join(entry)} }},")
    lines.append("}")
    return "\n".join(lines) + "\n"


TABLE_START = "<!-- config-table:start"
TABLE_END = "<!-- config-table:end -->"


def configuration_md(current: str) -> str:
    """docs/configuration.md with its table (between the markers) regenerated; the prose
    around it is written by hand."""
    if TABLE_START not in current or TABLE_END not in current:
        raise SystemExit(f"{CONFIG_DOC} lacks the table markers {TABLE_START}... and {TABLE_END}")
    head, rest = current.split(TABLE_START, 1)
    marker, _ = rest.split("\n", 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}{marker}\n{markdown_table()}\n{TABLE_END}{tail}"


def generated_files() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    return {
        PACKAGE_JSON: package_json(PACKAGE_JSON.read_text(encoding="utf-8")),
        SETTINGS_TS: settings_ts(),
        NVIM_TABLE: nvim_table(),
        CONFIG_DOC: configuration_md(CONFIG_DOC.read_text(encoding="utf-8")),
    }


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 with a diff if a file is not what the key table generates")
    args = parser.parse_args(argv)
    stale = False
    for path, text in generated_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if args.check:
            stale = True
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(path),
                                        "generated from the key table", lineterm="")
            print("\n".join(diff))
            print(f"{_shown(path)} is out of date: run {COMMAND}", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_shown(path)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
