"""`pacore doctor`: is everything a solve needs there, and how to fix what is not."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from pacore_core.config import load_settings
from pacore_core.doctor import run_checks


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check the model endpoint, the Docker engine and the sandbox image")
    parser.add_argument("--base-url", help="model server, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", help="model name the server serves")
    parser.add_argument("--image", help="sandbox image (default pacore-sandbox:latest)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings({"base_url": args.base_url, "model": args.model})
    s = settings.server
    report = run_checks(s.base_url, s.model, s.api_key,
                        image=args.image or os.environ.get("PACORE_IMAGE"), sandbox=s.sandbox)
    if args.json:
        print(json.dumps(report.model_dump()))
    else:
        for c in report.checks:
            print(f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}")
            if not c.ok and c.fix:
                print(f"       fix: {c.fix}")
    return 0 if report.ok else 1
