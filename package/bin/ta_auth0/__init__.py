"""TA-auth0 library: everything the add-on does, importable and testable without Splunk.

The UCC input helpers and REST handlers in ``bin/`` stay thin and delegate here.
"""

ADDON_NAME = "TA-auth0"
REST_ROOT = "ta_auth0"
ACCOUNT_CONF = "ta_auth0_account"
SETTINGS_CONF = "ta_auth0_settings"
CHECKPOINT_COLLECTION = "ta_auth0_checkpoints"
LOGS_SOURCETYPE = "auth0:logs"
