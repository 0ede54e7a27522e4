"""Where each logs input remembers the last log_id it delivered.

The collector only needs ``load()``/``save()``/``delete()``. In Splunk the state lives in the KV store
(solnlib's KVStoreCheckpointer, one document per input); ``FileCheckpointStore`` serves the demo and
the crash tests outside Splunk and writes atomically (temp file, fsync, rename).
"""

import json
import os
from typing import Any, Dict, Optional

from .errors import ConfigurationError

STATE_VERSION = 1


def validate_state(state: Any, where: str) -> Optional[Dict[str, Any]]:
    """A stored state, or None; a corrupt one is an error that names where it lives."""
    if state is None:
        return None
    pending_start = isinstance(state, dict) and state.get("log_id") is None and "seek_since" in state
    if not pending_start and (
        not isinstance(state, dict) or not isinstance(state.get("log_id"), str) or not state["log_id"].isdigit()
    ):
        raise ConfigurationError(
            f"The checkpoint in {where} is corrupt ({str(state)[:120]!r}). Delete it to start again from the "
            "input's start point, or set a valid log_id."
        )
    return state


class KVStoreCheckpointStore:
    """One KV store document per input (key = input name) in the add-on's checkpoint collection."""

    def __init__(self, key: str, session_key: str, app: str, collection: str, **splunkd: Any):
        from solnlib.modular_input import checkpointer  # imported lazily: needs splunklib

        self.key = key
        self.collection = collection
        self._checkpointer = checkpointer.KVStoreCheckpointer(collection, session_key, app, **splunkd)

    def load(self) -> Optional[Dict[str, Any]]:
        return validate_state(self._checkpointer.get(self.key), f"KV store collection {self.collection}/{self.key}")

    def save(self, state: Dict[str, Any]) -> None:
        self._checkpointer.update(self.key, state)

    def delete(self) -> None:
        self._checkpointer.delete(self.key)


class FileCheckpointStore:
    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def load(self) -> Optional[Dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return None
        try:
            state = json.loads(raw)
        except ValueError:
            state = raw
        return validate_state(state, self.path)

    def save(self, state: Dict[str, Any]) -> None:
        """Write a temporary file beside the checkpoint, fsync it, rename it over the checkpoint:
        a crash at any point leaves the old or the new state, never a torn one."""
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(state).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def delete(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class MemoryCheckpointStore:
    def __init__(self, state: Optional[Dict[str, Any]] = None):
        self.state = state
        self.saves = 0

    def load(self) -> Optional[Dict[str, Any]]:
        return validate_state(self.state, "memory")

    def save(self, state: Dict[str, Any]) -> None:
        self.state = dict(state)
        self.saves += 1

    def delete(self) -> None:
        self.state = None
