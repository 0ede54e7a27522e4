"""REST handler for the logs input: checks its options on save, deletes its checkpoint on delete."""

import import_declare_test  # noqa: F401  (puts the add-on's lib/ first on sys.path)
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler
from splunktaucclib.rest_handler.error import RestError

from ta_auth0.rest_handlers import delete_checkpoint, validate_input_options_or_raise


class LogsInputHandler(AdminExternalHandler):
    def __init__(self, *args, **kwargs):
        AdminExternalHandler.__init__(self, *args, **kwargs)

    def handleCreate(self, confInfo):
        validate_input_options_or_raise(dict(self.payload), RestError)
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        validate_input_options_or_raise(dict(self.payload), RestError)
        AdminExternalHandler.handleEdit(self, confInfo)

    def handleRemove(self, confInfo):
        AdminExternalHandler.handleRemove(self, confInfo)
        delete_checkpoint(self.getSessionKey(), self.callerArgs.id)
