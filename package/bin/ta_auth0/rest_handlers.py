"""What the REST handlers do, apart from splunktaucclib's plumbing, so it is testable."""

import logging
from typing import Any, Dict

from . import ACCOUNT_CONF, ADDON_NAME, CHECKPOINT_COLLECTION
from .account_validation import check_account
from .config import ENCRYPTED_PLACEHOLDER, account_from, load_settings
from .errors import ConfigurationError
from .logs_input import collector_options_from

ENCRYPTED_FIELDS = ("client_secret", "private_key")
logger = logging.getLogger("ta_auth0.rest")


def account_fields_for_validation(session_key: str, name: str, payload: Dict[str, Any]) -> Dict[str, Any]:
    """The payload, with encrypted fields that the form left unchanged filled from the credential store."""
    fields = dict(payload)
    unchanged = [f for f in ENCRYPTED_FIELDS if fields.get(f) == ENCRYPTED_PLACEHOLDER]
    if unchanged:
        from .config import _conf_manager

        stored = _conf_manager(session_key, ACCOUNT_CONF).get_conf(ACCOUNT_CONF).get(name)
        for field in unchanged:
            fields[field] = stored.get(field)
    return fields


def validate_account_or_raise(session_key: str, name: str, fields: Dict[str, Any], rest_error: Any) -> None:
    try:
        account = account_from(name, fields)
        check_account(account, load_settings(session_key))
    except ConfigurationError as error:
        raise rest_error(400, str(error)) from None


def validate_input_options_or_raise(payload: Dict[str, Any], rest_error: Any) -> None:
    try:
        collector_options_from(payload)
    except ConfigurationError as error:
        raise rest_error(400, str(error)) from None


def delete_checkpoint(session_key: str, input_name: str) -> None:
    """Remove the input's checkpoint so a new input of the same name starts afresh."""
    from .checkpoint import KVStoreCheckpointStore

    try:
        KVStoreCheckpointStore(input_name, session_key, ADDON_NAME, CHECKPOINT_COLLECTION).delete()
    except Exception as error:  # the input is gone either way; a stale checkpoint is only logged
        logger.warning("Could not delete the checkpoint of input %s: %s", input_name, error)
