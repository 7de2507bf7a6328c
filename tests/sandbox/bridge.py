"""A TCP and a UDP listener on a Docker bridge network the test creates, so the hostile
corpus's network cases aim at something that answers, and a control container on that
bridge shows it does answer when networking is on.

Why not a public address: connecting to one fails on any offline machine whatever the
sandbox does, so such a case could never fail. The listener binds the bridge's gateway
address only (on this host, never a public interface), and the network is removed after.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

TCP_CODE = "socket.create_connection(('{host}', {tcp}), timeout=3).recv(16)"
UDP_CODE = (
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); "
    "s.sendto(b'ping', ('{host}', {udp})); s.recvfrom(16)"
)


@dataclass
class BridgeListener:
    network: str
    host: str
    tcp_port: int
    udp_port: int
    hits: dict[str, int] = field(default_factory=lambda: {"tcp": 0, "udp": 0})

    def fill(self, code: str) -> str:
        """`{LISTEN_HOST}`, `{TCP_PORT}`, `{UDP_PORT}` in a corpus program become this listener."""
        return (
            code.replace("{LISTEN_HOST}", self.host)
            .replace("{TCP_PORT}", str(self.tcp_port))
            .replace("{UDP_PORT}", str(self.udp_port))
        )

    def reach_from_container(self, image: str) -> str:
        """Connect from a runc container on the bridge (networking on): the control."""
        import docker

        script = "import socket\n" + TCP_CODE.format(host=self.host, tcp=self.tcp_port) + "\n"
        script += UDP_CODE.format(host=self.host, udp=self.udp_port) + "\nprint('reached')\n"
        client = docker.from_env()
        try:
            out = client.containers.run(
                image, ["python3", "-c", script], network=self.network, runtime="runc", remove=True,
                labels={"pacore": "1", "pacore.owner-pid": str(os.getpid()),
                        "pacore.owner-host": socket.gethostname()},
            )  # fmt: skip
        finally:
            client.close()
        return bytes(out).decode()


def _serve_tcp(server: socket.socket, listener: BridgeListener, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        listener.hits["tcp"] += 1
        with conn:
            conn.sendall(b"hello")


def _serve_udp(server: socket.socket, listener: BridgeListener, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            data, peer = server.recvfrom(64)
        except TimeoutError:
            continue
        except OSError:
            return
        listener.hits["udp"] += 1
        server.sendto(data, peer)


@contextlib.contextmanager
def bridge_listener() -> Iterator[BridgeListener]:
    """A bridge network of this test process, with listeners on its gateway; all removed after."""
    import docker

    client = docker.from_env()
    network = client.networks.create(
        f"pacore-test-{uuid.uuid4().hex[:8]}", driver="bridge", labels={"pacore.test": str(os.getpid())}
    )
    stop = threading.Event()
    sockets: list[socket.socket] = []
    threads: list[threading.Thread] = []
    try:
        network.reload()
        host = network.attrs["IPAM"]["Config"][0]["Gateway"]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sockets += [tcp, udp]
        deadline = time.monotonic() + 10
        while True:  # the bridge's address appears on the host once the network exists
            try:
                tcp.bind((host, 0))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        tcp.listen(8)
        udp.bind((host, 0))
        listener = BridgeListener(network.name, host, tcp.getsockname()[1], udp.getsockname()[1])
        threads = [
            threading.Thread(target=_serve_tcp, args=(tcp, listener, stop), daemon=True),
            threading.Thread(target=_serve_udp, args=(udp, listener, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        yield listener
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        for sock in sockets:
            sock.close()
        with contextlib.suppress(Exception):
            network.remove()
        client.close()
