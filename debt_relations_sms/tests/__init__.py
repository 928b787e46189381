from . import test_sms
from . import test_sms_portal
