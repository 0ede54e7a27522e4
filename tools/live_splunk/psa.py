"""pytest-splunk-addon's tier (``tests/knowledge``) against the run's Splunk.

pytest-splunk-addon needs ``pytest<8`` and the dev venv has pytest 9, so the tier gets its own venv,
``.venv-psa`` (ignored by git), installed from ``tests/knowledge/requirements.txt`` and reinstalled when that file
changes. It runs from a scratch directory (the plugin writes logs and pickles into the working directory) with
the connection given through the variables ``tests/knowledge/conftest.py`` reads. The plugin ingests its samples
into ``main`` and searches only there (``SPLUNK_SEARCH_INDEX=main``), so the detections' test events in the live
index do not take part in its field and CIM checks.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

from tools.live_splunk.credentials import ADMIN, Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(ROOT, "tests", "knowledge", "requirements.txt")
VENV = os.path.join(ROOT, ".venv-psa")
SEARCH_INDEX = "main"


def _venv_python(venv: str) -> str:
    return os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")


def ensure_venv(venv: str = VENV, base_python: Optional[str] = None) -> str:
    """The tier's venv's python, created or updated when the requirements changed."""
    with open(REQUIREMENTS, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    marker = os.path.join(venv, f".installed-{digest}")
    python = _venv_python(venv)
    if os.path.exists(marker):
        return python
    base = base_python or os.environ.get("PSA_PYTHON") or getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--clear", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
                   check=True)  # fmt: skip
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write(digest + "\n")
    return python


def environment(credentials: Credentials, management_port: int, hec_port: int) -> Dict[str, str]:
    """The variables tests/knowledge/conftest.py turns into pytest-splunk-addon's options."""
    env = dict(os.environ)
    env.update(
        {
            "SPLUNK_HOST": "127.0.0.1",
            "SPLUNK_PORT": str(management_port),
            "SPLUNK_USER": ADMIN,
            "SPLUNK_PASSWORD": credentials.password,
            "SPLUNK_HEC_PORT": str(hec_port),
            "SPLUNK_HEC_TOKEN": credentials.hec_token,
            "SPLUNK_SEARCH_INDEX": SEARCH_INDEX,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def command(python: str, junit_xml: Optional[str] = None) -> List[str]:
    arguments = [python, "-m", "pytest", os.path.join(ROOT, "tests", "knowledge"), "-p", "no:cacheprovider"]
    arguments += ["--rootdir", ROOT, "-c", os.path.join(ROOT, "pyproject.toml"), "-q"]
    if junit_xml:
        arguments += ["--junitxml", junit_xml]
    return arguments


def run(credentials: Credentials, management_port: int, hec_port: int, junit_xml: Optional[str] = None) -> int:
    """Run the tier, its output shown with the secrets masked; pytest's exit status."""
    python = ensure_venv()
    env = environment(credentials, management_port, hec_port)
    with tempfile.TemporaryDirectory(prefix="ta-auth0-psa-") as scratch:
        process = subprocess.Popen(
            command(python, junit_xml), cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(credentials.redact(line.decode("utf-8", errors="replace")))
            sys.stdout.flush()
        return process.wait()
