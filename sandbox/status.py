"""Cheap Docker reachability/image check for `pacore doctor` and backend selection."""

from __future__ import annotations

import asyncio

from sandbox.images import IMAGE, image_state


def docker_status_sync(image: str = IMAGE) -> tuple[bool, str]:
    """(ok, message); the message says how to fix what is missing."""
    try:
        import docker
    except ImportError:
        return False, "the docker SDK is missing: pip install 'docker>=7.1'"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as exc:
        return False, (
            f"Docker engine unreachable ({type(exc).__name__}): install it "
            "(apt-get install -y docker.io) and start it "
            "(dockerd --iptables=false >/var/log/dockerd.log 2>&1 &), "
            "or use --sandbox local (weaker isolation)"
        )
    try:
        state = image_state(client, image)
    except Exception as exc:
        return False, f"cannot inspect image {image}: {exc}"
    finally:
        client.close()
    if state == "missing":
        return False, f"Docker is running but image {image} is missing: run `pacore sandbox build`"
    if state == "stale":
        return True, f"Docker OK; image {image} is outdated (rebuilt automatically on first use)"
    return True, f"Docker OK; image {image} present"


async def docker_status(image: str = IMAGE) -> tuple[bool, str]:
    return await asyncio.to_thread(docker_status_sync, image)
