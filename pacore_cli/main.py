"""Entry point of the `pacore` command: one sub-module per sub-command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# one module per sub-command, each exposing `add_parser(subparsers)` and `run(args) -> int`
COMMAND_MODULES = (
    "pacore_cli.solve_cmd",
    "pacore_cli.bench_cmd",
    "pacore_cli.sandbox_cmd",
    "pacore_cli.lsp_cmd",
    "pacore_cli.doctor_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pacore",
        description="PaCoRe for code: parallel trajectories, execution-verified synthesis.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("pacore: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
