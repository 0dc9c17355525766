"""A consumer process that is SIGKILLed before its ack on every delivery (a crash loop).

Used by the real-broker tests to show that the broker's own delivery limit ends the
loop: no runtime code survives to count the deliveries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = """
import asyncio, os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from wg_streetlights.app import create_app
url, log, prefix, attempts, lamp = sys.argv[2:7]
app = create_app(url, group_prefix=prefix, max_attempts=int(attempts), base_delay=0.01, max_delay=0.05)

@app.receive_light_measurement
async def handler(payload, *, streetlight_id, headers):
    if streetlight_id != lamp:
        return  # another test's lamp on the shared channel
    with open(log, "a") as f:
        f.write(headers["message-id"] + "\\n")
    os.kill(os.getpid(), signal.SIGKILL)  # every delivery: dies before the ack

async def main():
    async with app:
        Path(log + ".ready").write_text("x")
        await asyncio.sleep(60)

asyncio.run(main())
"""


def crash_loop(
    generated: Path, url: str, prefix: str, lamp: str, tmp_path: Path, *, attempts: int, runs: int, publish: object
) -> list[str]:
    """Start the crashing consumer ``runs`` times (each until it dies or 20 s pass);
    ``publish()`` is called once the first one is subscribed. Returns the log of the
    message ids the handler saw, one line per delivery."""
    log = tmp_path / "deliveries.log"
    log.write_text("")
    script = tmp_path / "crashing_consumer.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for run in range(runs):
        ready = Path(str(log) + ".ready")
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(generated), url, str(log), prefix, str(attempts), lamp], env=env
        )
        try:
            deadline = time.monotonic() + 20
            while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if run == 0:
                publish()  # type: ignore[operator]
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                break  # nothing came: the broker stopped redelivering
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return log.read_text().splitlines()
