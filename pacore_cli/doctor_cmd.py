"""`pacore doctor`: is everything a solve needs there, and how to fix what is not."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pacore_cli.config_flags import add_config_flags, load_cli_settings, overrides_from_args
from pacore_core.config import cli_flag
from pacore_core.doctor import run_checks
from pacore_core.errors import PacoreError

DOCTOR_KEYS = ("base_url", "model", "image", "sandbox", "sandbox_runtime")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check the model endpoint, the Docker engine and the sandbox image")
    add_config_flags(parser, only=DOCTOR_KEYS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_cli_settings(overrides_from_args(args))
    except PacoreError as e:
        message = e.render(cli_flag)
        if args.json:
            print(json.dumps({"ok": False, "error": message, "checks": []}))
        print(f"pacore doctor: {message}", file=sys.stderr)
        return 2
    s = settings.server
    report = run_checks(s.base_url, s.model, s.api_key, image=s.image, sandbox=s.sandbox,
                        runtime=s.sandbox_runtime).rendered(cli_flag)
    if args.json:
        print(json.dumps(report.model_dump()))
    else:
        for c in report.checks:
            print(f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}")
            if not c.ok and c.fix:
                print(f"       fix: {c.fix}")
    return 0 if report.ok else 1
