from . import test_sms
from . import test_sms_portal
from . import test_sms_contact_hours
