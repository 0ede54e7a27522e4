"""``python -m tools.live_splunk [run|preflight] [--spl FILE] [--only GLOB ...] [--skip-psa]`` (``make live``).

``preflight``: can the tier run here (docker CLI, ``docker info``, the Splunk image, pulled if missing)? Prints
``skipped: <reason>`` and exits 10 when it cannot (2 with ``LIVE_SPLUNK_REQUIRED=1``).
``run`` (the default): the whole live run (see docs/live-splunk.md); without Docker it prints the same
``skipped: <reason>`` line and exits 0.
"""

import argparse
import os
import sys

from tools.live_splunk import run as live


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.live_splunk", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", choices=("run", "preflight"), default="run")
    parser.add_argument("--spl", help="the add-on package to install (default: dist/TA-auth0-<version>.spl)")
    parser.add_argument("--image", help="the Splunk image (default: LIVE_SPLUNK_IMAGE or splunk/splunk:latest)")
    parser.add_argument("--only", action="append", default=[], help="run only detections whose slug matches (glob)")
    parser.add_argument("--skip-psa", action="store_true", help="leave out the pytest-splunk-addon tier")
    parser.add_argument("--required", action="store_true", help="a skip is an error (CI): LIVE_SPLUNK_REQUIRED=1")
    args = parser.parse_args(argv)
    settings = live.Settings.from_environment(dict(os.environ))
    if args.image:
        settings.image = args.image
    if args.spl:
        settings.spl = args.spl
    settings.only += args.only
    settings.skip_psa = settings.skip_psa or args.skip_psa
    settings.required = settings.required or args.required
    if args.action == "preflight":
        return live.preflight(settings)
    return live.run(settings)


if __name__ == "__main__":
    sys.exit(main())
