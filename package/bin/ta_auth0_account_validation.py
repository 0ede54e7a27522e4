"""REST handler for Configuration > Tenants: checks each account against Auth0 before saving it."""

import import_declare_test  # noqa: F401  (puts the add-on's lib/ first on sys.path)
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler
from splunktaucclib.rest_handler.error import RestError

from ta_auth0.rest_handlers import account_fields_for_validation, validate_account_or_raise


class AccountValidationHandler(AdminExternalHandler):
    def __init__(self, *args, **kwargs):
        AdminExternalHandler.__init__(self, *args, **kwargs)

    def _validate(self):
        fields = account_fields_for_validation(self.getSessionKey(), self.callerArgs.id, dict(self.payload))
        validate_account_or_raise(self.getSessionKey(), self.callerArgs.id, fields, RestError)

    def handleCreate(self, confInfo):
        self._validate()
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        self._validate()
        AdminExternalHandler.handleEdit(self, confInfo)
