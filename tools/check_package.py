"""Fails when a built add-on (output dir or .spl) holds anything that must not ship.

Checked: compiled binaries (.so/.pyd/.dylib/.dll/.exe), bytecode and __pycache__, dot-files, files
from the repository's dev-only trees (tools/, tests/, detections/ sources), world-writable or
executable files, and every .conf must parse.
"""

import argparse
import os
import stat
import sys
import tarfile
from typing import Iterator, List, Tuple

FORBIDDEN_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".exe", ".pyc", ".pyo")
DEV_ONLY_MARKERS = ("/tools/", "/tests/", "/detections/", "/.ci/", "/node_modules/")


def _members(path: str) -> Iterator[Tuple[str, int, bool]]:
    """(relative name, mode, is_dir) for each entry of a directory or tarball."""
    if os.path.isdir(path):
        base = os.path.dirname(os.path.abspath(path))
        for directory, dirs, files in os.walk(path):
            for name in dirs + files:
                full = os.path.join(directory, name)
                yield os.path.relpath(full, base), os.lstat(full).st_mode, os.path.isdir(full)
    else:
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                yield member.name, member.mode, member.isdir()


def conf_problems(path: str) -> List[str]:
    """Every .conf (and .conf.spec) must parse with Splunk's conf parser library."""
    from addonfactory_splunk_conf_parser_lib import TABConfigParser

    found = []
    if os.path.isdir(path):
        entries = []
        for directory, _, files in os.walk(path):
            for name in files:
                if name.endswith((".conf", ".conf.spec")) and "/lib/" not in directory + "/":
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        entries.append((os.path.join(directory, name), handle.read()))
    else:
        with tarfile.open(path) as archive:
            entries = [
                (m.name, archive.extractfile(m).read().decode("utf-8"))
                for m in archive.getmembers()
                if m.isfile() and m.name.endswith((".conf", ".conf.spec")) and "/lib/" not in m.name
            ]
    for name, text in entries:
        parser = TABConfigParser()
        try:
            parser.read_string(text)
        except Exception as error:
            found.append(f"unparsable conf {name}: {error}")
    return found


def problems(path: str) -> List[str]:
    found = []
    names = []
    for name, mode, is_dir in _members(path):
        names.append(name)
        parts = name.split("/")
        if any(part.startswith(".") and part not in (".", "..") for part in parts):
            found.append(f"dot-file: {name}")
        if "__pycache__" in parts:
            found.append(f"bytecode cache: {name}")
        if not is_dir and name.endswith(FORBIDDEN_SUFFIXES):
            found.append(f"compiled binary or bytecode: {name}")
        if any(marker in "/" + name + "/" for marker in DEV_ONLY_MARKERS) and "/lib/" not in "/" + name:
            found.append(f"dev-only file: {name}")
        if mode & stat.S_IWOTH:
            found.append(f"world-writable: {name}")
        if not is_dir and mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            found.append(f"executable file: {name}")
    found += conf_problems(path)
    tops = {name.split("/")[0] for name in names}
    if tops != {"TA-auth0"}:
        found.append(f"package must hold exactly one top-level folder TA-auth0, found {sorted(tops)}")
    return found


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", help="output/TA-auth0 or dist/TA-auth0-<version>.spl")
    args = parser.parse_args(argv)
    found = problems(args.path)
    for problem in found:
        print(f"check_package: {problem}", file=sys.stderr)
    if found:
        print(f"check_package: {len(found)} problem(s) in {args.path}", file=sys.stderr)
        return 1
    print(f"check_package: {args.path} is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
