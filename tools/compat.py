"""``make compat``: run the shipped code's tests on Splunk's Python versions (3.9 and 3.13).

For each version, find an interpreter (``pythonX.Y`` on PATH, else pyenv's versions folder), build
``.venv-X.Y`` with exactly the add-on's ``package/lib/requirements.txt`` plus pytest and cryptography,
and run the library's unit tests and the logs input against the tenant simulator. A version with no
interpreter on the machine is reported and skipped; in CI (``CI`` set) that is an error.
"""

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ("3.9", "3.13")
TESTS = [
    "tests/unit/test_domain.py",
    "tests/unit/test_events.py",
    "tests/unit/test_private_key_jwt.py",
    "tests/unit/test_rate_limit.py",
    "tests/unit/test_config.py",
    "tests/integration/test_logs_input.py",
    "tests/integration/test_account_validation.py",
    "tests/unit/watchlist/test_watchlist_semantics.py",
    "tests/unit/watchlist/test_watchlist_scp.py",
    "tests/unit/watchlist/test_watchlist_protocol.py",
    "tests/unit/watchlist/test_watchlist_recording.py",
    "tests/integration/watchlist/test_watchlist_kvstore.py",
    "tests/unit/inventory/test_inventory_actions_analysis.py",
    "tests/unit/inventory/test_inventory_findings.py",
    "tests/unit/inventory/test_inventory_collector.py",
    "tests/integration/inventory/test_inventory_input.py",
]


def find_interpreter(version: str):
    candidates = [f"python{version}"]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", f"python{version}")))
    candidates += sorted(glob.glob(f"/usr/bin/python{version}")) + sorted(glob.glob(f"/usr/local/bin/python{version}"))
    for candidate in candidates:
        try:
            out = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, check=False)  # fmt: skip
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    return None


#: Test tools for the old interpreter too (pytest 9 needs Python 3.10).
TEST_PINS = ["pytest==8.4.2", "cryptography==50.0.2"]


def ensure_venv(interpreter: str, version: str) -> str:
    venv = os.path.join(ROOT, f".venv-{version}")
    marker = os.path.join(venv, ".installed")
    requirements = os.path.join(ROOT, "package", "lib", "requirements.txt")
    if os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(requirements):
        return os.path.join(venv, "bin", "python")
    subprocess.run([interpreter, "-m", "venv", "--clear", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *TEST_PINS], check=True)
    # The add-on's lib/ is installed by the build's Python, which checks a package's Requires-Python against itself,
    # not against Splunk's (esprima2 declares >=3.10 yet runs on 3.9: these tests decide). The test tools above are
    # resolved for this interpreter first, so only the add-on's own requirements skip that check.
    subprocess.run([*pip, "--ignore-requires-python", "-r", requirements], check=True)
    with open(marker, "w", encoding="utf-8"):
        pass
    return python


def main() -> int:
    failed = False
    for version in VERSIONS:
        interpreter = find_interpreter(version)
        if interpreter is None:
            print(f"compat: no Python {version} on this machine", flush=True)
            failed = failed or bool(os.environ.get("CI"))
            continue
        python = ensure_venv(interpreter, version)
        print(f"compat: Python {version} ({interpreter})", flush=True)
        run = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=ROOT, check=False)
        failed = failed or run.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
