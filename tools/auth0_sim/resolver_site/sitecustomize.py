"""auth0-sim resolver hook for child Python processes (dev/test only).

Put this directory first on ``PYTHONPATH`` and set ``AUTH0_SIM_RESOLVE`` (see
``auth0_sim_resolver.py``); Python's ``site`` module imports this file at start
up and the listed tenant domains then resolve to the simulator.  Without the
environment variable nothing is patched.

Any other ``sitecustomize`` module found further down ``sys.path`` is then
executed too, so an existing site customisation keeps working.  Errors are
reported on stderr and never stop the interpreter.
"""

import os
import sys


def _auth0_sim_install():
    if not os.environ.get("AUTH0_SIM_RESOLVE"):
        return
    try:
        import auth0_sim_resolver

        auth0_sim_resolver.install_from_env()
    except Exception as exc:  # pragma: no cover - defensive
        sys.stderr.write("auth0-sim sitecustomize: resolver not installed: %r\n" % (exc,))


def _auth0_sim_chain():
    """Run the next ``sitecustomize`` on ``sys.path`` (if any) exactly once."""
    try:
        import importlib.machinery
        import importlib.util

        here = os.path.dirname(os.path.abspath(__file__))
        visited = getattr(sys, "_auth0_sim_sitecustomize_dirs", None)
        if visited is None:
            visited = set()
            sys._auth0_sim_sitecustomize_dirs = visited
        visited.add(os.path.normcase(here))
        search = []
        for entry in sys.path:
            path = os.path.normcase(os.path.abspath(entry or os.getcwd()))
            if path not in visited:
                search.append(entry)
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
        if spec is None or spec.loader is None:
            return None
        origin_dir = os.path.normcase(os.path.dirname(os.path.abspath(spec.origin or "")))
        visited.add(origin_dir)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except Exception as exc:
        sys.stderr.write("auth0-sim sitecustomize: chained sitecustomize failed: %r\n" % (exc,))
        return None


_auth0_sim_install()
chained = _auth0_sim_chain()
