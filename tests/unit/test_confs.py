"""Every shipped .conf parses; our own confs ship a spec."""

import glob
import os

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser
from support import ROOT

DEFAULT = os.path.join(ROOT, "package", "default")
#: Confs Splunk itself defines; anything else is ours and needs README/<name>.conf.spec.
SPLUNK_CONFS = {
    "app", "props", "transforms", "eventtypes", "tags", "macros", "savedsearches", "collections", "commands",
    "searchbnf", "inputs", "restmap", "web", "server", "alert_actions", "indexes", "distsearch", "authorize",
    "data/ui",
}  # fmt: skip
#: Our confs whose spec UCC generates from globalConfig.json at build time.
UCC_SPECS = {"ta_auth0_account", "ta_auth0_settings"}

CONFS = sorted(glob.glob(os.path.join(DEFAULT, "*.conf")))


@pytest.mark.parametrize("path", CONFS, ids=os.path.basename)
def test_conf_parses(path):
    parser = TABConfigParser()
    parser.read(path)
    assert parser.sections() or os.path.getsize(path) == 0


def test_own_confs_have_specs():
    for path in CONFS:
        name = os.path.basename(path)[: -len(".conf")]
        if name in SPLUNK_CONFS or name in UCC_SPECS:
            continue
        assert os.path.exists(os.path.join(ROOT, "package", "README", name + ".conf.spec")), name


def test_custom_confs_reload_without_restart():
    parser = TABConfigParser()
    parser.read(os.path.join(DEFAULT, "app.conf"))
    triggers = dict(parser.items("triggers"))
    for name in UCC_SPECS:
        assert triggers.get(f"reload.{name}") == "simple"
