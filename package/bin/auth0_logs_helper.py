"""UCC input helper for ``auth0_logs``: the logic lives in ``ta_auth0.logs_input``."""

from ta_auth0 import logs_input


def validate_input(definition):
    logs_input.validate_input(definition)


def stream_events(inputs, event_writer):
    logs_input.stream_events(inputs, event_writer)
