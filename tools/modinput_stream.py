"""Reads a modular input's XML event stream the way splunkd does, tolerating a cut-off tail.

A process killed mid-write leaves a partial ``<event>``; splunkd discards it, and so does this
reader (it is reported in ``truncated``).
"""

import re
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple

_EVENT = re.compile(r"<event[ >].*?</event>", re.DOTALL)


def parse_events(text: str) -> Tuple[List[Dict[str, str]], bool]:
    """(events, truncated): each event's child elements as a dict of tag to text."""
    events = []
    end = 0
    for match in _EVENT.finditer(text):
        element = ET.fromstring(match.group(0))
        event = {child.tag: child.text or "" for child in element}
        event["unbroken"] = element.get("unbroken", "")
        events.append(event)
        end = match.end()
    tail = text[end:].replace("</stream>", "").strip()
    return events, bool(tail)
