"""Amounts in a currency's rounding, compared the way Odoo compares them.

``res.currency.compare_amounts`` rounds both sides half-up to the currency's
rounding (``odoo.tools.float_round``) and compares the results. Counting whole
rounding steps does the same with integers, so no float is compared raw.

Pure Python: nothing here imports Odoo.
"""

import math
from decimal import Decimal


def to_units(amount, rounding):
    """``amount`` as a whole number of ``rounding`` steps, rounded half-up.

    The same arithmetic as ``odoo.tools.float_round(..., rounding_method=
    "HALF-UP")``: the quotient is nudged away from zero by one unit in the last
    place of its magnitude before rounding, so 2.675 at 0.01 is 268 steps,
    as a person reading "2.675" expects, although the float is 2.67499999...
    """
    normalized = amount / rounding
    if not normalized:
        return 0
    epsilon = 2 ** (math.log2(abs(normalized)) - 52)
    return int(round(normalized + math.copysign(epsilon, normalized)))


def from_units(units, rounding):
    """The amount of ``units`` steps of ``rounding``, as a float."""
    return float(Decimal(units) * Decimal(str(rounding)))


def is_below(amount, threshold, rounding):
    """True when ``amount`` is strictly below ``threshold`` at ``rounding``.

    Amounts more than :data:`CLEAR_GAP` steps apart compare as they are:
    rounding moves each by half a step at most, so their steps cannot meet (a
    run compares millions of amounts, most of them far from the threshold).
    Closer ones are counted in steps.
    """
    gap = (threshold - amount) / rounding
    if gap > CLEAR_GAP:
        return True
    if gap < -CLEAR_GAP:
        return False
    return to_units(amount, rounding) < to_units(threshold, rounding)


CLEAR_GAP = 1.5
"""Steps between two amounts beyond which rounding cannot change their order
(one step, with a margin for the float error of the division)."""
