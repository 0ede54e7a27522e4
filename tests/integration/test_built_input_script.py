"""The input script UCC generates, run from a fresh build the way splunkd runs it: ``--scheme`` and
``--validate-arguments`` need no splunkd, so they prove the generated wrapper reaches our helper."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from support import ROOT


@pytest.fixture(scope="module")
def built_addon(tmp_path_factory):
    ucc_gen = os.path.join(os.path.dirname(sys.executable), "ucc-gen")
    if not os.path.exists(ucc_gen):
        pytest.skip("ucc-gen is not installed in this environment (make test installs it)")
    work = tmp_path_factory.mktemp("build")
    shutil.copy(os.path.join(ROOT, "globalConfig.json"), work / "globalConfig.json")  # the build rewrites it
    with open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8") as handle:
        version = json.load(handle)["meta"]["version"]
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run(
        [ucc_gen, "build", "--source", os.path.join(ROOT, "package"), "--config", str(work / "globalConfig.json"),
         "--ta-version", version, "--pip-version", "26.2", "-o", str(work / "output")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return work / "output" / "TA-auth0"


def _run_script(addon, *args, stdin=""):
    return subprocess.run(
        [sys.executable, str(addon / "bin" / "auth0_logs.py"), *args],
        input=stdin, capture_output=True, text=True, cwd=str(addon / "bin"), check=False,
    )  # fmt: skip


def test_scheme_declares_the_inputs_arguments(built_addon):
    run = _run_script(built_addon, "--scheme")
    assert run.returncode == 0, run.stderr
    scheme = ET.fromstring(run.stdout)
    assert scheme.findtext("title") == "auth0_logs"
    assert scheme.findtext("use_single_instance") == "false"
    names = {arg.get("name") for arg in scheme.iter("arg")}
    assert {"account", "start_from", "days_back", "log_categories", "time_budget"} <= names


def _validation_xml(**params):
    items = "".join(f'<param name="{k}">{v}</param>' for k, v in params.items())
    return (
        "<items><server_host>sh</server_host><server_uri>https://127.0.0.1:8089</server_uri>"
        "<session_key>k</session_key><checkpoint_dir>/tmp</checkpoint_dir>"
        f'<item name="acme">{items}</item></items>'
    )


def test_validation_reaches_our_checks_and_names_the_field(built_addon):
    bad = _run_script(built_addon, "--validate-arguments", stdin=_validation_xml(account="a", days_back="99"))
    assert bad.returncode != 0
    assert "Days back must be from 1 to 30, not 99." in bad.stdout
    good = _run_script(built_addon, "--validate-arguments", stdin=_validation_xml(account="a", start_from="now"))
    assert good.returncode == 0, good.stdout + good.stderr
