"""The ``lookup`` command's argument list, and the CSV lookups of one ``transforms.conf`` (matched as the knowledge
model matches them: ``match_type`` CIDR and WILDCARD, ``case_sensitive_match``, ``max_matches = 1``)."""

import re
from typing import Dict, List, NamedTuple, Tuple

from tools.knowledge.searchtime import LookupTable, ModelError, read_conf
from tools.spl_engine.values import SplError, unquote


class LookupCommand(NamedTuple):
    table: str
    inputs: List[Tuple[str, str]]  # (column, event field)
    outputs: List[Tuple[str, str]]  # (column, event field)
    mode: str


def parse_lookup(arguments: str) -> LookupCommand:
    """``<table> <column> [AS <field>] ... OUTPUT|OUTPUTNEW <column> [AS <field>] ...``"""
    words = re.findall(r'"(?:[^"\\]|\\.)*"|[^\s,]+', arguments)
    if not words:
        raise SplError("lookup needs a table")
    table, mode = words[0], ""
    inputs: List[Tuple[str, str]] = []
    outputs: List[Tuple[str, str]] = []
    target = inputs
    index = 1
    while index < len(words):
        word = words[index]
        if word.upper() in ("OUTPUT", "OUTPUTNEW"):
            mode, target = word.upper(), outputs
            index += 1
            continue
        if index + 2 < len(words) and words[index + 1].upper() == "AS":
            target.append((unquote(word), unquote(words[index + 2])))
            index += 3
        else:
            target.append((unquote(word), unquote(word)))
            index += 1
    if not inputs or not outputs:
        raise SplError(f"lookup without an explicit OUTPUT list is not modelled: {arguments!r}")
    return LookupCommand(table, inputs, outputs, mode)


class Lookups:
    """The CSV lookups of one ``transforms.conf`` and lookups folder."""

    def __init__(self, transforms_conf: str, lookups_dir: str):
        self.stanzas = read_conf(transforms_conf)
        self.lookups_dir = lookups_dir
        self._tables: Dict[str, LookupTable] = {}

    def table(self, name: str) -> LookupTable:
        if name not in self._tables:
            stanza = self.stanzas.get(name)
            if stanza is None or "filename" not in stanza:
                raise SplError(f"lookup {name} is not a CSV lookup of transforms.conf")
            try:
                self._tables[name] = LookupTable(stanza, self.lookups_dir)
            except ModelError as error:
                raise SplError(f"[{name}] {error}") from error
        return self._tables[name]
