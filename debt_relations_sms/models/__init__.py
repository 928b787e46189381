from . import debt_action
from . import debt_contact_log
from . import debt_stage
from . import res_partner
from . import sms_sms
from . import sms_tracker
from . import debt_sender
