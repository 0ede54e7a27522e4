"""UCC input helper for ``auth0_inventory``: the logic lives in ``ta_auth0.inventory_input``."""

from ta_auth0 import inventory_input


def validate_input(definition):
    inventory_input.validate_input(definition)


def stream_events(inputs, event_writer):
    inventory_input.stream_events(inputs, event_writer)
