"""Every rule of both public catalogues is implemented or merged with a stated reason."""

import glob
import os

import pytest

from tools.detections import compile as compiler
from tools.detections import model

CATALOGUE = compiler.load_catalogue()
SLUGS = {d.slug for d in model.load_all()}
REFERENCE = os.path.join(model.ROOT, "..", "shared", "reference", "auth0-customer-detections", "detections")
PANTHER = [
    "Auth0.AttackProtection.Disabled", "Auth0.BotDetection.Disabled", "Auth0.CIC.Credential.Stuffing",
    "Auth0.Custom.Role.Created", "Auth0.Delete.TenantMember", "Auth0.FraudRisk.Volume",
    "Auth0.Integration.Installed", "Auth0.Leaked.Password.Login.Attempt", "Auth0.Limits", "Auth0.Brute.Force",
    "Auth0.MFA.Factor.Setting.Enabled", "Auth0.MFA.Policy.Disabled", "Auth0.MFA.Policy.Enabled",
    "Auth0.MFA.Risk.Assessment.Disabled", "Auth0.MFA.Risk.Assessment.Enabled", "Auth0.NewAdmin.Invitation",
    "Auth0.Post.Login.Action.Flow", "Auth0.PushNotification.Fatigue", "Auth0.Rapid.DynamicClient.Creation",
    "Auth0.SamePhone.MultipleUsers.MFA", "Auth0.RefreshToken.Reuse", "Auth0.User.Invitation.Created",
    "Auth0.User.Joined.Tenant", "Auth0.AdminInvited.WITH.TenantMemberDeletion",
]  # fmt: skip


@pytest.mark.parametrize("source", ["okta", "panther"])
def test_entries_point_at_detections_and_merges_say_why(source):
    for entry in CATALOGUE[source]:
        target = entry.get("detection") or entry.get("merged_into")
        assert target in SLUGS, entry
        assert bool(entry.get("detection")) != bool(entry.get("merged_into")), entry
        if entry.get("merged_into"):
            assert len(entry.get("notes", "")) > 20, f"{entry['rule']}: a merge needs its reason"


def test_all_34_okta_rules_are_covered():
    listed = [entry["rule"] for entry in CATALOGUE["okta"]]
    assert len(listed) == len(set(listed)) == 34
    if os.path.isdir(REFERENCE):
        assert set(listed) == {os.path.basename(p) for p in glob.glob(os.path.join(REFERENCE, "*.yml"))}


def test_every_panther_rule_is_covered():
    listed = {entry["rule"] for entry in CATALOGUE["panther"]}
    assert set(PANTHER) <= listed


def test_no_dashboard_channel_restriction_on_end_user_or_dcr_events():
    for detection in model.load_all():
        for document in detection.documents:
            text = str(document.get("detection", {}))
            if "manage.auth0.com" in text:
                assert "not dashboard" in document["detection"]["condition"], detection.slug
