"""Sandbox images: build offline from Debian packages, or from a registry base image.

Two layers: a base holding the Debian packages every registered language needs
(`sandbox.languages.image_packages`: python3 and pytest, g++, ...) that is slow to make
(debootstrap, or apt-get in a Dockerfile), tagged and labelled with the hash of its package
list so a new language's packages bring a new base; and a thin top layer holding the
supervisor, labelled with the hash of the runner files and of the base's package list, so
a stale image is rebuilt in seconds when they change.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from sandbox import languages
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)

# PACORE_SANDBOX_TAG: a checkout developing the runners builds and uses its own tag, so
# parallel checkouts on one engine do not rebuild each other's image.
DEFAULT_IMAGE = "pacore-sandbox:latest"
IMAGE = os.environ.get("PACORE_SANDBOX_TAG") or DEFAULT_IMAGE
ALIASES = tuple(f"pacore-sandbox-{name}:latest" for name in languages.names())
REGISTRY_BASE = "debian:bookworm-slim"
SUITE = "bookworm"
PACKAGES = languages.image_packages()
# what no sandbox run reads: the downloaded .debs, documentation, translations, and what a
# language's module lists (e.g. Go's own toolchain sources): ~40% of the base
PRUNE = ("/var/cache/apt/archives/*.deb", "/usr/share/doc/*", "/usr/share/man/*",
         "/usr/share/info/*", "/usr/share/locale/*", *languages.image_prune())  # fmt: skip
PACKAGES_HASH = hashlib.sha256(" ".join((*PACKAGES, "--prune", *PRUNE)).encode()).hexdigest()[:12]
# a base per package list: adding a language's packages builds a new base, never reuses one
# that lacks them (and never rebuilds the base another checkout's package list uses)
BASE_IMAGE = f"pacore-sandbox-base:bookworm-{PACKAGES_HASH}"
PACKAGES_LABEL = "pacore.packages-hash"
HERE = Path(__file__).parent
RUNNERS = HERE / "runners"
IMAGES = HERE / "images"
HASH_LABEL = "pacore.runners-hash"
DEB_CACHE = Path("/var/cache/pacore-sandbox/debs")


class ImageError(SandboxError):
    """An image could not be built or found; the message says how to fix it."""


def runners_hash() -> str:
    """The top layer's identity: the runner files and the base's package list."""
    digest = hashlib.sha256(PACKAGES_HASH.encode())
    for path in sorted(RUNNERS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def apt_mirror() -> str:
    """The Debian mirror apt already uses (deb822 .sources first, then sources.list)."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        text = Path(path).read_text()
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if not os.path.exists(path):
            continue
        for line in Path(path).read_text().splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 3 and parts[0] == "deb":
                rest = [p for p in parts[1:] if not p.startswith("[")]
                if len(rest) >= 2 and rest[1] == SUITE:
                    return rest[0]
    raise ImageError(
        f"no apt source for Debian {SUITE} found in /etc/apt; "
        "use `pacore sandbox build --from-registry` instead"
    )


def _image(client: Any, name: str) -> Any | None:
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def image_state(client: Any, image: str = IMAGE) -> str:
    """ "ok", "missing", or "stale" (built from other runner files)."""
    found = _image(client, image)
    if found is None:
        return "missing"
    labels = found.labels or {}
    if labels.get(HASH_LABEL) not in (runners_hash(), None):
        return "stale"
    return "ok"


def base_current(client: Any) -> bool:
    """The base image for today's package list exists (and says so in its label)."""
    found = _image(client, BASE_IMAGE)
    return found is not None and (found.labels or {}).get(PACKAGES_LABEL) == PACKAGES_HASH


def build_base_offline(client: Any, tag: str = BASE_IMAGE, mirror: str | None = None) -> None:
    """debootstrap a minbase rootfs with the packages, then `docker import` it."""
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is missing: apt-get install -y debootstrap")
    mirror = mirror or apt_mirror()
    DEB_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pacore-rootfs-") as tmp:
        rootfs = os.path.join(tmp, "rootfs")
        cmd = [
            "debootstrap", "--variant=minbase", f"--cache-dir={DEB_CACHE}",
            f"--include={','.join(PACKAGES)}", SUITE, rootfs, mirror,
        ]  # fmt: skip
        log.info("running %s", " ".join(cmd))
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True)  # noqa: S603  (fixed argv, no shell)
        if done.returncode != 0:
            raise ImageError(f"debootstrap failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        log.info("debootstrap: %.0f s", time.monotonic() - start)
        _prune(rootfs)
        start = time.monotonic()
        _import(client, rootfs, tag, tmp)
        log.info("import: %.0f s", time.monotonic() - start)


def _import(client: Any, rootfs: str, tag: str, tmp: str) -> None:
    """`docker import` the root file system. Streamed from tar into the docker CLI when it
    is there (no 1 GB tarball written and read back), else through a tarball file."""
    repo, _, version = tag.partition(":")
    label = f"LABEL {PACKAGES_LABEL}={PACKAGES_HASH}"
    docker_cli = shutil.which("docker")
    if docker_cli is not None:
        # the system's tar and docker CLI, found on PATH like debootstrap; fixed argv, no shell
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)  # noqa: S603, S607
        done = subprocess.run([docker_cli, "import", "--change", label, "-", f"{repo}:{version or 'latest'}"],  # noqa: S603
                              stdin=tar.stdout, capture_output=True, text=True)  # fmt: skip
        if tar.stdout is not None:
            tar.stdout.close()
        if tar.wait() != 0 or done.returncode != 0:
            raise ImageError(f"docker import of {tag} failed: {done.stderr[-2000:]}")
        return
    tarball = os.path.join(tmp, "rootfs.tar")
    subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)  # noqa: S603, S607
    client.api.import_image_from_file(tarball, repository=repo, tag=version or "latest", changes=[label])


def _prune(rootfs: str) -> None:
    """Remove `PRUNE` from a debootstrapped root file system before it is imported."""
    for pattern in PRUNE:
        for path in glob.glob(rootfs + pattern, recursive=True):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def build_base_registry(client: Any, tag: str = BASE_IMAGE, base: str = REGISTRY_BASE) -> None:
    """The base from a registry image plus apt-get (for machines with registry access)."""
    _build(client, tag, {"BASE": base, "INSTALL_PACKAGES": "1", "RUNNERS_HASH": "base",
                         "PACKAGES": " ".join(PACKAGES), "PRUNE": " ".join(PRUNE),
                         "PACKAGES_HASH": PACKAGES_HASH})  # fmt: skip


def _build(client: Any, tag: str, buildargs: dict[str, str], dockerfile: str = "Dockerfile",
           extra: dict[str, Path] | None = None) -> None:  # fmt: skip
    import docker.errors

    with tempfile.TemporaryDirectory(prefix="pacore-ctx-") as ctx:
        shutil.copy(IMAGES / dockerfile, os.path.join(ctx, "Dockerfile"))
        shutil.copytree(RUNNERS, os.path.join(ctx, "runners"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        for name, src in (extra or {}).items():
            shutil.copy(src, os.path.join(ctx, name))
        try:
            client.images.build(path=ctx, tag=tag, buildargs=buildargs, rm=True, pull=False)
        except docker.errors.BuildError as exc:
            lines = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
            raise ImageError(f"docker build of {tag} failed: {exc}\n{lines[-3000:]}") from exc


def build_image(
    client: Any,
    image: str = IMAGE,
    *,
    from_registry: bool = False,
    rebuild_base: bool = False,
    requirements: Path | None = None,
    mirror: str | None = None,
) -> str:
    """Build the base when needed, then the supervisor layer, then optional requirements."""
    if rebuild_base or not base_current(client):
        if from_registry:
            build_base_registry(client)
        else:
            build_base_offline(client, mirror=mirror)
    args = {"BASE": BASE_IMAGE, "INSTALL_PACKAGES": "0", "RUNNERS_HASH": runners_hash(),
            "PACKAGES_HASH": PACKAGES_HASH}
    top = IMAGE if requirements else image
    _build(client, top, args)
    if top == IMAGE == DEFAULT_IMAGE:  # a checkout's own tag leaves the shared aliases alone
        built = client.images.get(IMAGE)
        for alias in ALIASES:
            repo, _, version = alias.partition(":")
            built.tag(repo, version)
    if requirements:
        _build(
            client, image, {"BASE": IMAGE}, dockerfile="Dockerfile.requirements",
            extra={"requirements.txt": requirements},
        )  # fmt: skip
    return image


def ensure_image(client: Any, image: str = IMAGE, *, from_registry: bool = False) -> str:
    """Idempotent: returns what was done ("present", "updated" or "built")."""
    state = image_state(client, image)
    if state == "ok":
        return "present"
    if image != IMAGE and state == "stale":
        return "present"  # a user's derived image: not ours to rebuild
    had_base = base_current(client)
    build_image(client, image if image == IMAGE else IMAGE, from_registry=from_registry)
    return "updated" if had_base else "built"
