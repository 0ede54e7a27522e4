"""Fixtures for the tenant-simulator tests; they live in sim_harness so tests can import its constants."""

from sim_harness import harness_for, rsa_private_pem, solnlib_logs  # noqa: F401
