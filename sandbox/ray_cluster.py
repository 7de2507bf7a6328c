"""Joining a Ray cluster (the optional `ray` extra) and listing the nodes that verify.

`address`: None starts a local single-node Ray for this process; "auto" joins the cluster
already running here (`ray start --head`); anything else (`HOST:PORT`, `ray://HOST:10001`)
joins that cluster. Nodes that carry the custom resource `pacore_sandbox` are the sandbox
nodes; when no node carries it, every node verifies.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SandboxError

NAMESPACE = "pacore"
SANDBOX_RESOURCE = "pacore_sandbox"
RAY_FIX = "install the ray extra: pip install 'pacore-code[ray]'"


def require_ray() -> Any:
    """The `ray` module, or an error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise SandboxError("running on a Ray cluster needs Ray, which is not installed",
                           fix=RAY_FIX) from None
    return ray


@dataclass(frozen=True)
class NodeInfo:
    """One alive node as the scheduler sees it."""

    node_id: str
    host: str
    cpus: int
    sandbox: bool  # carries `pacore_sandbox`

    @property
    def label(self) -> str:
        """Short, unique and readable: host plus the start of the node id."""
        return f"{self.host}/{self.node_id[:8]}"


class Cluster:
    """A connection to Ray; `close()` shuts down only a Ray this process started."""

    def __init__(self, address: str | None) -> None:
        self.ray = require_ray()
        self.address = address
        self.started = False
        self.joined = False

    def connect(self) -> Cluster:
        ray = self.ray
        if ray.is_initialized():
            return self
        kw: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False,
                              "configure_logging": False}
        try:
            if self.address is None:
                ray.init(include_dashboard=False, **kw)
                self.started = True
            else:
                ray.init(address=self.address, **kw)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = "a local Ray instance" if self.address is None else f"Ray at {self.address!r}"
            raise SandboxError(
                f"cannot reach {where}: {str(e).strip().splitlines()[0] if str(e).strip() else e}",
                setting="ray_address",
                fix="start the cluster (`ray start --head` on the head node) or set {ray_address} "
                "to its address (`auto` for the cluster running on this machine)",
            ) from None
        self.joined = True
        return self

    def nodes(self) -> list[NodeInfo]:
        """Alive nodes, sorted by id (a stable order for placement)."""
        out = []
        for n in self.ray.nodes():
            if not n.get("Alive"):
                continue
            res = n.get("Resources") or {}
            out.append(NodeInfo(node_id=n["NodeID"], host=n.get("NodeManagerHostname") or "?",
                                cpus=max(1, int(res.get("CPU", 1))),
                                sandbox=res.get(SANDBOX_RESOURCE, 0) > 0))
        return sorted(out, key=lambda n: n.node_id)

    def sandbox_nodes(self) -> list[NodeInfo]:
        nodes = self.nodes()
        marked = [n for n in nodes if n.sandbox]
        return marked or nodes

    def close(self) -> None:
        if self.joined and self.ray.is_initialized():
            self.ray.shutdown()
        self.joined = False


def current_node_label() -> str:
    """The label of the node this Ray worker runs on."""
    import ray

    return f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:8]}"
