"""Runs the tenant simulator as a separate process (so it does not share the GIL with what is
measured or demonstrated) and hands back its state file."""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextlib.contextmanager
def simulator(args: List[str], startup_timeout: float = 120.0) -> Iterator[Dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="auth0-sim-") as tmp:
        state_file = os.path.join(tmp, "state.json")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.auth0_sim", "serve", "--state-file", state_file, *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.time() + startup_timeout
            while not os.path.exists(state_file):
                if proc.poll() is not None:
                    raise RuntimeError(f"simulator exited: {proc.stderr.read().decode()[-2000:]}")
                if time.time() > deadline:
                    raise RuntimeError("simulator did not start in time")
                time.sleep(0.05)
            with open(state_file, encoding="utf-8") as handle:
                yield json.load(handle)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def child_env(state: Dict[str, Any]) -> Dict[str, str]:
    env = dict(os.environ)
    for key, value in state["child_env"].items():
        env[key] = value
    return env
