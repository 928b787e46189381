from . import account_move_reversal
from . import debt_charge_wizard
from . import debt_contact_wizard
from . import debt_payment_plan_wizard
from . import debt_worklist_assign
from . import debt_worklist_pause
