"""Runs splunk-appinspect (precert, offline) once per tag and fails on any failure, error or
future failure. Keeps each JSON report in the report dir and prints a one-line summary."""

import argparse
import json
import os
import subprocess
import sys
from typing import Dict, List

BLOCKING = ("failure", "error", "future_failure")
#: Files that are ours: no AppInspect finding of any level may point at them.
OWN_CODE_PREFIXES = ("bin/ta_auth0/", "bin/auth0", "bin/ta_auth0_")
COUNTED = ("failure", "error", "future_failure", "warning", "manual_check", "success", "not_applicable", "skipped")


def summarize(report: dict) -> Dict[str, int]:
    counts = dict.fromkeys(COUNTED, 0)
    for group in report.get("reports", [{}])[0].get("groups", []):
        for check in group.get("checks", []):
            result = check.get("result")
            counts[result] = counts.get(result, 0) + 1
    return counts


def findings(report: dict, results: tuple) -> List[str]:
    lines = []
    for group in report.get("reports", [{}])[0].get("groups", []):
        for check in group.get("checks", []):
            if check.get("result") in results:
                for message in check.get("messages", []) or [{}]:
                    where = message.get("message_filename") or ""
                    lines.append(
                        f"  [{check['result']}] {check['name']}: {message.get('message', '')} {where}".rstrip()
                    )
    return lines


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("package")
    parser.add_argument("--tags", nargs="+", required=True)
    parser.add_argument("--report-dir", default="dist")
    args = parser.parse_args(argv)
    os.makedirs(args.report_dir, exist_ok=True)
    exe = os.path.join(os.path.dirname(sys.executable), "splunk-appinspect")
    totals = dict.fromkeys(COUNTED, 0)
    blocking: List[str] = []
    parts = []
    for tag in args.tags:
        out = os.path.join(args.report_dir, f"appinspect-{tag}.json")
        command = [exe, "inspect", args.package, "--mode", "precert", "--included-tags", tag,
                   "--data-format", "json", "--output-file", out, "--max-messages", "all",
                   "--skip-trusted-libraries-update"]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        if run.returncode not in (0, 101, 103, 104) or not os.path.exists(out):
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            print(f"appinspect: {tag}: splunk-appinspect exited {run.returncode}", file=sys.stderr)
            return 1
        with open(out, encoding="utf-8") as handle:
            report = json.load(handle)
        counts = summarize(report)
        for key in COUNTED:
            totals[key] += counts.get(key, 0)
        parts.append(
            f"{tag}: {counts['failure']} failures, {counts['error']} errors, "
            f"{counts['future_failure']} future_failures, {counts['warning']} warnings"
        )
        blocking += [f"{tag}:{line}" for line in findings(report, BLOCKING)]
        blocking += [
            f"{tag}: warning on our own code:{line}"
            for line in findings(report, ("warning",))
            if any(f" {prefix}" in line for prefix in OWN_CODE_PREFIXES)
        ]
    print("appinspect: " + "; ".join(parts))
    if blocking:
        print("\n".join(blocking), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
