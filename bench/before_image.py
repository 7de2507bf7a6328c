"""Build the "before the guard" sandbox image that `bench_sandbox.py --rows runc-before` runs.

    python bench/before_image.py [--tag pacore-sandbox:before] [--commit 23c5684]

Why: issue 25's budget (the data path may cost at most 10% on HumanEval) is a comparison with
the sandbox as it was before the guard. This image holds the runners of `--commit` (by default
the parent of the guard's commit, daedb93) on today's base image, with one change only: the
supervisor echoes the job's nonce on every line it writes, without which today's host counts
its lines as forged. Reproducible from any clone with the history: `git archive` of the
runners, a text patch that fails loudly if it no longer applies, and today's Dockerfile.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BEFORE_GUARD = "23c5684"  # daedb93^: the runners just before the guard (issue 25)
# (old text, new text) pairs applied to supervisor.py: the nonce echo
NONCE_PATCH = (
    (
        "    data = memoryview((json.dumps(obj) + \"\\n\").encode())\n",
        "    if NONCE:\n        obj = {**obj, \"nonce\": NONCE[0]}\n"
        "    data = memoryview((json.dumps(obj) + \"\\n\").encode())\n",
    ),
    (
        "            job = json.loads(line)\n            response = run_job(",
        "            job = json.loads(line)\n            NONCE[:] = [str(job.pop(\"nonce\", \"\") or \"\")]\n"
        "            response = run_job(",
    ),
    ("\ndef _write(",
     "\nNONCE: list[str] = []  # bench/before_image.py: the host's nonce, echoed\n\n\ndef _write("),
)


def runners_at(commit: str, dest: Path) -> None:
    """`sandbox/runners/*.py` of `commit`, flat in `dest` (as the image holds them)."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "sandbox/runners"],
                          check=True, capture_output=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                extracted = tar.extractfile(member)
                assert extracted is not None
                (dest / Path(member.name).name).write_bytes(extracted.read())


def patch_nonce(supervisor: Path) -> None:
    text = supervisor.read_text()
    for old, new in NONCE_PATCH:
        if text.count(old) != 1:
            raise SystemExit(f"the nonce patch no longer applies to {supervisor.name}: {old!r}")
        text = text.replace(old, new)
    supervisor.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="pacore-sandbox:before")
    parser.add_argument("--commit", default=BEFORE_GUARD)
    args = parser.parse_args()
    from sandbox.images import BASE_IMAGE, IMAGES, PACKAGES_HASH

    present = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True)
    if present.returncode != 0:
        raise SystemExit(f"the base image {BASE_IMAGE} is missing: run `pacore sandbox build` first")
    with tempfile.TemporaryDirectory(prefix="pacore-before-") as ctx:
        runners = Path(ctx) / "runners"
        runners.mkdir()
        runners_at(args.commit, runners)
        patch_nonce(runners / "supervisor.py")
        (Path(ctx) / "Dockerfile").write_text((IMAGES / "Dockerfile").read_text())
        subprocess.run(
            ["docker", "build", "-q", "-t", args.tag, "--build-arg", f"BASE={BASE_IMAGE}",
             "--build-arg", "INSTALL_PACKAGES=0", "--build-arg", f"PACKAGES_HASH={PACKAGES_HASH}",
             "--build-arg", f"RUNNERS_HASH=before-{args.commit}", ctx],
            check=True,
        )  # fmt: skip
    print(f"built {args.tag}: runners of {args.commit} with the nonce echo, on {BASE_IMAGE}")


if __name__ == "__main__":
    main()
