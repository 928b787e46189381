from . import debt_stage
from . import debt_action
from . import snailmail_letter
