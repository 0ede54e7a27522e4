"""Render the shipped views in headless Chromium with Splunk's dashboard framework (tests/dashboards/harness).

    .venv/bin/python -m tests.dashboards.render            # refresh docs/img/<view>.png (what the README shows)
    .venv/bin/python -m tests.dashboards.render --out DIR  # anywhere else

Needs ``npm ci --prefix tests/dashboards`` and Debian's chromium (``/usr/bin/chromium``, or set CHROMIUM).
``make test`` renders into a temporary folder instead, so a test run never rewrites the committed pictures; this
command also writes ``docs/img/dashboards.json``, the digest of each view and its fixtures the pictures were made
from, which the tests compare with the current files to catch screenshots gone stale.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.dashboards.views import FIXTURES_DIR, HERE, ROOT, SCREENSHOTS_DIR, VIEWS, VIEWS_DIR

HARNESS = os.path.join(HERE, "harness", "run.js")
NODE_MODULES = os.path.join(HERE, "node_modules")
MANIFEST = "dashboards.json"
EXIT_NO_BROWSER = 3
INSTALL_HINT = "install them with: npm ci --prefix tests/dashboards (and apt-get install chromium)"


class HarnessUnavailable(Exception):
    """Node, the npm packages or Chromium are missing: the render tier cannot run here."""


def inputs_digest(view: str, views_dir: str = VIEWS_DIR, fixtures_dir: str = FIXTURES_DIR) -> str:
    digest = hashlib.sha256()
    for path in (os.path.join(views_dir, view + ".xml"), os.path.join(fixtures_dir, view + ".json")):
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def run_harness(
    out: str,
    views_dir: str = VIEWS_DIR,
    fixtures_dir: str = FIXTURES_DIR,
    report: Optional[str] = None,
    only: Optional[str] = None,
) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if not node:
        raise HarnessUnavailable(f"node is not installed; {INSTALL_HINT}")
    if not os.path.isdir(os.path.join(NODE_MODULES, "@splunk", "dashboard-core")):
        raise HarnessUnavailable(f"the dashboard npm packages are not installed; {INSTALL_HINT}")
    command = [node, HARNESS, "--views", views_dir, "--fixtures", fixtures_dir, "--out", out]
    if report:
        command += ["--report", report]
    if only:
        command += ["--only", only]
    run = subprocess.run(command, capture_output=True, text=True, cwd=HERE, timeout=300, check=False)
    if run.returncode == EXIT_NO_BROWSER:
        raise HarnessUnavailable(f"Chromium cannot start: {run.stderr.strip()}")
    return run


def write_screenshots(out: str) -> Dict[str, str]:
    run = run_harness(out)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    if run.returncode != 0:
        raise SystemExit(run.returncode)
    manifest = {view: inputs_digest(view) for view in VIEWS}
    with open(os.path.join(out, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump({"rendered_from_sha256": manifest}, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return manifest


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=SCREENSHOTS_DIR, help="where the PNGs go (default docs/img)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    try:
        manifest = write_screenshots(args.out)
    except HarnessUnavailable as error:
        print(f"cannot render: {error}", file=sys.stderr)
        return 2
    listed: List[str] = [os.path.relpath(os.path.join(args.out, v + ".png"), ROOT) for v in manifest]
    print("wrote " + ", ".join(listed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
