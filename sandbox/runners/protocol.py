"""Result channel of a test process: JSON lines on a private pipe, tagged with a token.

Why: stdout belongs to the candidate, so results never travel there. The pipe is a
file descriptor the harness owns and every line carries a per-test random token the
supervisor checks, so a candidate printing or writing "passed" forges nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

# The job's nonce while the supervisor serves it (never a local: a test process inherits the
# supervisor's stack, and `child_process.spawn` clears this in the child before anything runs).
# Every line the supervisor writes to the host carries it, so a line a candidate manages to
# write on the supervisor's own stdout (gVisor lets /proc/1/fd/1 be opened) is told apart.
CHANNEL: dict[str, str] = {}


class Emitter:
    def __init__(self, fd: int, token: str) -> None:
        self._fd = fd
        self._token = token
        self._write = os.write  # bound before candidate code can patch the os module

    def __call__(self, event: dict[str, Any]) -> None:
        data = (json.dumps({**event, "token": self._token}) + "\n").encode()
        while data:
            written = self._write(self._fd, data)
            data = data[written:]
