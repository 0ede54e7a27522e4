"""What every TA-auth0 modular input does around its own run: a solnlib logger per input with the
Logging tab's level, start/end lines, and errors logged by category so that one failing input
neither stops the others nor hides its cause (UCC's monitoring dashboard reads these lines)."""

import logging
from typing import Any, Callable, Mapping, Optional

from . import ADDON_NAME, SETTINGS_CONF
from .errors import Auth0AddonError

#: run_one(stanza, params, session_key, logger) runs one input stanza.
RunOne = Callable[[str, Mapping[str, Any], str, logging.Logger], Any]


def input_name_of(stanza: str) -> str:
    """``auth0_logs://acme`` -> ``acme``."""
    return stanza.split("://", 1)[-1]


def input_logger(kind: str, input_name: str, session_key: Optional[str]) -> logging.Logger:
    """``ta_auth0_<kind>_<input>`` (its own log file), at the level set on the Logging tab."""
    from solnlib import conf_manager
    from solnlib import log as solnlib_log

    logger = solnlib_log.Logs().get_logger(f"ta_auth0_{kind}_{input_name}")
    if session_key:
        try:
            logger.setLevel(
                conf_manager.get_log_level(
                    logger=logger, session_key=session_key, app_name=ADDON_NAME, conf_name=SETTINGS_CONF
                )
            )
        except Exception:  # the logging tab is optional; INFO is the default
            logger.setLevel(logging.INFO)
    return logger


def run_each_input(inputs: Any, kind: str, run_one: RunOne) -> None:
    """Run every stanza UCC's script hands over (``inputs.inputs``), each with its own logger."""
    from solnlib import log as solnlib_log

    session_key = inputs.metadata["session_key"]
    for stanza, params in inputs.inputs.items():
        input_name = input_name_of(stanza)
        logger = input_logger(kind, input_name, session_key)
        solnlib_log.modular_input_start(logger, input_name)
        try:
            run_one(stanza, params, session_key, logger)
        except Auth0AddonError as error:
            solnlib_log.log_exception(logger, error, error.category, msg_before=f"Input {input_name}: {error}")
        except Exception as error:  # report, then let the next input run
            solnlib_log.log_exception(logger, error, "Unexpected Error", msg_before=f"Input {input_name} failed:")
        solnlib_log.modular_input_end(logger, input_name)
