"""CIM compliance of one event's search-time fields, judged by the CIM definitions that pytest-splunk-addon ships
(derived into tests/knowledge/cim/cim_definitions.json by :mod:`tools.knowledge.derive_cim`).

For each data model whose root constraint the event meets (tags and search constraint), and each child dataset
whose constraint it meets, every field of type ``required`` must be present, non-empty and valid; a
``conditional`` field is required when its condition holds (the condition without the field's own
``<field>=*`` term); every ``recommended`` field of those datasets must be present too. A value is valid when the
field's validity expression (evaluated as Splunk would) is not null and, where the definition lists
``expected_values``, its lower-cased value is one of them.
"""

import json
import os
import re
from typing import Any, Dict, List, Optional

from tools.knowledge import spl_eval, spl_search
from tools.knowledge.searchtime import ROOT, tags_of, values_of

DEFINITIONS = os.path.join(ROOT, "tests", "knowledge", "cim", "cim_definitions.json")
#: Fields whose CIM validity is meant to reject a double quote in the value; the expression in the definitions
#: compares against a single-quoted pattern, which Splunk reads as a field name, so the intent is checked directly.
NO_QUOTE_FIELDS = ("action", "object_attrs", "object_id", "object_path")


def load_definitions(path: str = DEFINITIONS) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


class Dataset:
    def __init__(self, model: str, node: Dict[str, Any], parent: Optional["Dataset"] = None):
        self.model = model
        self.name = node["name"]
        self.parent = parent
        self.tags = [set(group) for group in node.get("tags", [])]
        self.constraint = node.get("search_constraints") or ""
        self.fields = node.get("fields", [])
        self.children = [Dataset(model, child, self) for child in node.get("child_dataset", [])]

    def constraint_holds(self, fields: Dict[str, Any]) -> bool:
        if not self.constraint:
            return True
        return spl_search.matches(self.constraint, fields)

    def all_fields(self) -> List[Dict[str, Any]]:
        inherited = self.parent.all_fields() if self.parent else []
        return inherited + self.fields


def datasets(definitions: Dict[str, Any]) -> List[Dataset]:
    return [Dataset(model, node) for model, spec in definitions["models"].items() for node in spec["objects"]]


def matched_datasets(fields: Dict[str, Any], definitions: Dict[str, Any]) -> List[Dataset]:
    """Root datasets, then children, whose tags and constraints the event meets."""
    tags = set(tags_of(fields))
    found = []

    def visit(dataset: Dataset) -> None:
        if dataset.tags and not any(group <= tags for group in dataset.tags):
            return
        if not dataset.constraint_holds(fields):
            return
        found.append(dataset)
        for child in dataset.children:
            visit(child)

    for root in datasets(definitions):
        visit(root)
    return found


def models_of(fields: Dict[str, Any], definitions: Dict[str, Any]) -> List[str]:
    return sorted({dataset.model for dataset in matched_datasets(fields, definitions) if dataset.parent is None})


def _condition_holds(condition: str, field: str, fields: Dict[str, Any]) -> bool:
    own = re.compile(r"(^|\s)" + re.escape(field) + r"=\*(\s|$)")
    rest = own.sub(" ", condition).strip()
    return not rest or spl_search.matches(rest, fields)


def _valid(spec: Dict[str, Any], fields: Dict[str, Any]) -> List[str]:
    name = spec["name"]
    problems = []
    values = values_of(fields, name)
    if spec.get("type") != "optional" and any(value == "" for value in values):
        problems.append(f"{name} is empty")
    if name in NO_QUOTE_FIELDS and any('"' in value for value in values):
        problems.append(f"{name} contains a double quote: {values}")
    if spec.get("validity") and spl_eval.evaluate(spec["validity"], fields) is None:
        problems.append(f"{name}={fields.get(name)!r} fails its validity {spec['validity']!r}")
    expected = spec.get("expected_values")
    if expected:
        bad = [value for value in values if value.lower() not in expected]
        if bad:
            problems.append(f"{name}={bad} not in {expected}")
    return problems


def problems(fields: Dict[str, Any], definitions: Dict[str, Any]) -> List[str]:
    """Everything wrong with the event's CIM fields; an empty list means compliant."""
    found: List[str] = []
    matched = matched_datasets(fields, definitions)
    roots = sorted({dataset.model for dataset in matched if dataset.parent is None})
    if len(roots) > 1:
        found.append(f"event maps to more than one data model: {roots}")
    checked = set()
    for dataset in matched:
        for spec in dataset.all_fields():
            name = spec["name"]
            if (dataset.model, name) in checked:
                continue
            present = bool([value for value in values_of(fields, name) if value != ""])
            kind = spec.get("type")
            needed = kind == "required" or (
                kind == "conditional" and _condition_holds(spec.get("condition") or "", name, fields)
            )
            if needed and not present:
                found.append(f"{dataset.model}.{dataset.name}: required field {name} missing")
                checked.add((dataset.model, name))
                continue
            if present and kind in ("required", "conditional", "optional"):
                found += [f"{dataset.model}.{dataset.name}: {p}" for p in _valid(spec, fields)]
                checked.add((dataset.model, name))
        recommended = definitions["recommended_fields"].get(dataset.model, {})
        names = recommended.get("BaseEvent" if dataset.parent is None else dataset.name, [])
        found += [
            f"{dataset.model}.{dataset.name}: recommended field {name} missing"
            for name in names
            if not [value for value in values_of(fields, name) if value != ""]
        ]
    if "Change" in roots:
        account = "account" in tags_of(fields)
        user_category = "user" in values_of(fields, "object_category")
        if account != user_category:
            found.append(
                f"object_category=user iff tag=account broken: tags={tags_of(fields)}, "
                f"object_category={fields.get('object_category')!r}"
            )
    return sorted(set(found))
