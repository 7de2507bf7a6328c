"""`pacore lsp`: the language server on stdio (or TCP). `pacore-lsp` is the same command."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lsp", help="serve the PaCoRe language server (stdio by default)")
    parser.add_argument("--tcp", action="store_true", help="serve on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from lsp_server.handlers import serve

    serve(tcp=args.tcp, host=args.host, port=args.port)
    return 0


def main() -> None:
    """The `pacore-lsp` console script: `pacore lsp` with the same arguments."""
    from pacore_cli.main import main as pacore_main

    sys.exit(pacore_main(["lsp", *sys.argv[1:]]))
