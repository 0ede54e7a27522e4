"""CSV lookups as ``transforms.conf`` defines them (``match_type`` CIDR and WILDCARD, ``case_sensitive_match``,
``max_matches = 1``), and the ``lookup`` command's argument list."""

import csv
import ipaddress
import os
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

from tools.knowledge.searchtime import read_conf
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


class CsvLookup:
    def __init__(self, name: str, stanza: Dict[str, str], lookups_dir: str):
        unknown = set(stanza) - {"filename", "match_type", "case_sensitive_match", "max_matches"}
        if unknown:
            raise SplError(f"[{name}] transforms settings not modelled: {sorted(unknown)}")
        if stanza.get("max_matches", "1") != "1":
            raise SplError(f"[{name}] only max_matches = 1 is modelled")
        with open(os.path.join(lookups_dir, stanza["filename"]), encoding="utf-8", newline="") as handle:
            self.rows = list(csv.DictReader(handle))
        match_type = stanza.get("match_type", "")
        self.cidr = set(re.findall(r"CIDR\(([^)]+)\)", match_type))
        self.wildcard = set(re.findall(r"WILDCARD\(([^)]+)\)", match_type))
        self.case_sensitive = stanza.get("case_sensitive_match", "true").lower() in ("true", "1")

    def _cell_matches(self, column: str, cell: str, value: str) -> bool:
        if column in self.cidr:
            try:
                network = ipaddress.ip_network(cell.strip(), strict=False)
                return ipaddress.ip_address(value.strip()) in network
            except ValueError:
                return False
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if column in self.wildcard:
            regex = "^" + ".*".join(re.escape(part) for part in cell.split("*")) + "$"
            return re.match(regex, value, flags | re.S) is not None
        return cell == value if self.case_sensitive else cell.lower() == value.lower()

    def find(self, keys: Dict[str, str]) -> Optional[Dict[str, str]]:
        for row in self.rows:  # file order; max_matches = 1
            if all(self._cell_matches(column, row.get(column) or "", value) for column, value in keys.items()):
                return row
        return None


class Lookups:
    """The CSV lookups of one ``transforms.conf`` and lookups folder."""

    def __init__(self, transforms_conf: str, lookups_dir: str):
        self.stanzas = read_conf(transforms_conf)
        self.lookups_dir = lookups_dir
        self._tables: Dict[str, CsvLookup] = {}

    def table(self, name: str) -> CsvLookup:
        if name not in self._tables:
            stanza = self.stanzas.get(name)
            if stanza is None or "filename" not in stanza:
                raise SplError(f"lookup {name} is not a CSV lookup of transforms.conf")
            self._tables[name] = CsvLookup(name, stanza, self.lookups_dir)
        return self._tables[name]
