"""The CSV lookups of one ``transforms.conf``, matched as the knowledge model matches them (``match_type`` CIDR
and WILDCARD, ``case_sensitive_match``, ``max_matches = 1``)."""

from typing import Dict

from tools.knowledge.searchtime import LookupTable, ModelError, read_conf
from tools.spl_engine.values import SplError


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
