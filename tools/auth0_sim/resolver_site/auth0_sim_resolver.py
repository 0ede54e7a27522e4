"""Redirect selected host names to a local address by patching ``socket.getaddrinfo``.

This file is deliberately self-contained (standard library only) because it is
imported in two ways:

* by ``tools.auth0_sim`` (``Auth0Simulator.resolve_domains()``) in the test
  process, and
* as the top-level module ``auth0_sim_resolver`` by the ``sitecustomize.py``
  that sits next to it, in a child process whose ``PYTHONPATH`` contains this
  directory and whose environment has ``AUTH0_SIM_RESOLVE`` set.

Spec format (the value of ``AUTH0_SIM_RESOLVE``)::

    acme.us.auth0.com=127.0.0.1:54321,other.eu.auth0.com=127.0.0.1:54321

A mapped host resolves to the given address and port whatever port the caller
asked for, so ``https://acme.us.auth0.com/`` (port 443) reaches the simulator.
Every other host name goes to the original ``getaddrinfo`` untouched.
"""

import socket
import threading

ENV_VAR = "AUTH0_SIM_RESOLVE"

_lock = threading.RLock()
_entries = []  # list of (token, {host: (ip, port)}); later entries win
_original = None
_next_token = 0


def _norm(host):
    if isinstance(host, (bytes, bytearray)):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(host, str):
        return None
    return host.strip().rstrip(".").lower()


def parse_spec(spec):
    """Parse ``"dom=ip:port,dom2=ip:port"`` into ``{dom: (ip, port)}``."""
    mapping = {}
    for raw_item in (spec or "").split(","):
        item = raw_item.strip()
        if not item:
            continue
        host, sep, target = item.partition("=")
        ip, sep2, port = target.rpartition(":")
        if not sep or not sep2 or not host.strip() or not ip:
            raise ValueError("bad %s entry %r (want host=ip:port)" % (ENV_VAR, item))
        mapping[_norm(host)] = (ip.strip("[] "), int(port))
    return mapping


def format_spec(mapping):
    return ",".join("%s=%s:%d" % (host, ip, port) for host, (ip, port) in mapping.items())


def lookup(host):
    key = _norm(host)
    if key is None:
        return None
    with _lock:
        for _token, mapping in reversed(_entries):
            target = mapping.get(key)
            if target is not None:
                return target
    return None


def _patched_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    target = lookup(host)
    original = _original or socket.getaddrinfo
    if target is None:
        return original(host, port, family, type, proto, flags)
    ip, mapped_port = target
    ip_family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    if family not in (0, socket.AF_UNSPEC, ip_family):
        raise socket.gaierror(socket.EAI_FAMILY, "auth0-sim: %s only maps to %s" % (host, ip))
    return original(ip, mapped_port, ip_family, type, proto, flags | socket.AI_NUMERICHOST)


_patched_getaddrinfo._auth0_sim_patch = True


def install(mapping):
    """Start redirecting the hosts in ``mapping``; returns a token for :func:`uninstall`."""
    global _original, _next_token  # noqa: PLW0603 - process-wide patch state
    norm = {}
    for host, (ip, port) in mapping.items():
        norm[_norm(host)] = (ip, int(port))
    with _lock:
        if socket.getaddrinfo is not _patched_getaddrinfo:
            if _original is None:
                _original = socket.getaddrinfo
            socket.getaddrinfo = _patched_getaddrinfo
        _next_token += 1
        token = _next_token
        _entries.append((token, norm))
        return token


def uninstall(token):
    """Stop the redirection installed under ``token``.

    The original ``getaddrinfo`` is put back once nothing is mapped any more,
    unless someone patched ``socket.getaddrinfo`` again on top of us (then our
    wrapper stays in place and simply passes everything through).
    """
    global _original  # noqa: PLW0603 - process-wide patch state
    with _lock:
        _entries[:] = [entry for entry in _entries if entry[0] != token]
        if not _entries and socket.getaddrinfo is _patched_getaddrinfo and _original is not None:
            socket.getaddrinfo = _original
            _original = None


def install_from_env(environ=None):
    import os

    spec = (environ if environ is not None else os.environ).get(ENV_VAR)
    if not spec:
        return None
    return install(parse_spec(spec))
