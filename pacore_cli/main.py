"""Entry point of the `pacore` command: one sub-module per sub-command.

Here, once for every command: usage errors (exit 2), Ctrl-C and SIGTERM (cancel, clean up,
exit 130 / 143), a reader that closes the pipe early (quiet), and with `--json` exactly one
JSON object on stdout whatever happens (see `output_guard`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from pacore_cli.output_guard import ErrorObject, JsonStdout, generic_error, quiet_broken_pipe
from pacore_cli.signals import sigterm_stops
from pacore_core.config import cli_flag
from pacore_core.errors import ConfigError, DatasetError, PacoreError, ProblemError, UsageError

# one module per sub-command, each exposing `add_parser(subparsers)` and `run(args) -> int`,
# and optionally `error_object(message)`: its --json shape of a failure
COMMAND_MODULES = (
    "pacore_cli.solve_cmd",
    "pacore_cli.bench_cmd",
    "pacore_cli.sandbox_cmd",
    "pacore_cli.lsp_cmd",
    "pacore_cli.doctor_cmd",
    "pacore_cli.stress_cmd",
    "pacore_cli.view_cmd",
)
EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 130, 143


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so a usage error can still be JSON."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, usage=self.format_usage(), prog=self.prog)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pacore",
        description="PaCoRe for code: parallel trajectories, execution-verified synthesis.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)
    return parser


def _error_object(argv: Sequence[str]) -> ErrorObject:
    """The --json failure shape of the command named on the command line."""
    command = next((a for a in argv if not a.startswith("-")), "")
    name = f"pacore_cli.{command}_cmd"
    if name in COMMAND_MODULES:
        found = getattr(importlib.import_module(name), "error_object", None)
        if callable(found):
            return found
    return generic_error


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    guard = JsonStdout(_error_object(argv)) if json_mode else None
    code = 1
    fallback = "pacore failed"
    try:
        if guard is not None:
            guard.__enter__()
        code, fallback = _run(argv)
    except BrokenPipeError:
        quiet_broken_pipe()
        code = 141
    finally:
        if guard is not None:
            guard.__exit__()
            try:
                guard.emit(fallback, code)
            except BrokenPipeError:
                quiet_broken_pipe()
    try:
        if not sys.stdout.closed:  # `pacore lsp` closes it when the client says exit
            sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
    return code


def _run(argv: list[str]) -> tuple[int, str]:
    """Exit status and, for --json, the message to use when the command printed nothing."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        prog = e.prog or parser.prog
        print(e.usage or parser.format_usage(), end="", file=sys.stderr)
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE, f"{prog}: {e}"
    # the language server handles its own shutdown (a stdin reader thread would keep an
    # interrupted server alive): SIGTERM keeps its default there
    with sigterm_stops(enabled=args.command != "lsp") as received:
        try:
            code: int = args.run(args)
        except KeyboardInterrupt:
            what = "terminated" if received else "interrupted"
            print(f"pacore: {what}", file=sys.stderr)
            return (EXIT_TERMINATED if received else EXIT_INTERRUPTED), f"pacore: {what}"
        except BrokenPipeError:
            raise
        except PacoreError as e:  # anticipated, but not caught by the command: no traceback
            message = f"pacore {args.command}: {e.render(cli_flag)}"
            print(message, file=sys.stderr)
            return (EXIT_USAGE if isinstance(e, UsageError | ConfigError | ProblemError | DatasetError)
                    else 1), message
        except Exception as e:  # a bug: keep the traceback, and the promise of one JSON object
            traceback.print_exc()
            return 1, f"pacore: internal error: {type(e).__name__}: {e}"
    return code, "pacore failed"


if __name__ == "__main__":
    sys.exit(main())
