"""UCC build hook (dev-only, never shipped): make the built add-on pass AppInspect everywhere.

``ucc-gen build`` calls ``cleanup_output_files(output_path, ta_name)`` after installing lib/.
It removes what must not ship: pip's console scripts in ``lib/bin``, compiled extension modules
(charset_normalizer's mypyc ``.so`` files have pure-Python twins that it falls back to; any other one
fails the build), bytecode, dot-files and editor leftovers, then normalises permissions (dirs 755,
files 644).
"""

import os
import shutil
import stat

_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
#: Packages whose compiled modules are optional accelerators of pure-Python modules.
_PURE_PYTHON_FALLBACKS = ("charset_normalizer",)


def _remove_native_modules(root: str) -> None:
    lib = os.path.join(root, "lib")
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(_NATIVE_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, lib)
            top = relative.split(os.sep)[0]
            # mypyc puts its shared runtime at the top of lib/ as <hash>__mypyc.<abi>.so
            if top in _PURE_PYTHON_FALLBACKS or (directory == lib and "__mypyc." in name):
                os.remove(path)
            else:
                shipped = os.path.relpath(path, root)
                raise SystemExit(f"native module {shipped} would ship: the add-on must stay pure Python")


def _remove_leftovers(root: str) -> None:
    for directory, dirs, files in os.walk(root, topdown=True):
        for name in list(dirs):
            if name == "__pycache__" or name.startswith("."):
                shutil.rmtree(os.path.join(directory, name))
                dirs.remove(name)
        for name in files:
            if name.startswith(".") or name.endswith((".pyc", ".pyo", "~", ".orig", ".rej")):
                os.remove(os.path.join(directory, name))


def _normalise_permissions(root: str) -> None:
    for directory, _, files in os.walk(root):
        os.chmod(directory, 0o755)  # noqa: S103  (rwxr-xr-x: what AppInspect expects of directories)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)


def cleanup_output_files(output_path: str, ta_name: str) -> None:
    root = os.path.join(output_path, ta_name)
    # pip's console scripts (normalizer, idna) point at the build machine's interpreter; nothing runs them.
    shutil.rmtree(os.path.join(root, "lib", "bin"), ignore_errors=True)
    _remove_native_modules(root)
    _remove_leftovers(root)
    _normalise_permissions(root)
