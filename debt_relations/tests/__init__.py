from . import test_escalation
from . import test_verify
from . import test_run
from . import test_review
from . import test_contact_log
from . import test_company
