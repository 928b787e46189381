from . import debt_contact_wizard
