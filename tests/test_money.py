"""Amounts in whole rounding steps, rounded half-up as Odoo's float_round does."""

from services import money


def test_half_up_as_a_person_reads_the_amount():
    assert money.to_units(2.675, 0.01) == 268
    assert money.to_units(-2.675, 0.01) == -268
    assert money.to_units(1.005, 0.01) == 101
    assert money.to_units(0.125, 0.05) == 3
    assert money.to_units(2.5, 1.0) == 3


def test_float_noise_is_not_a_difference():
    assert money.to_units(0.1 + 0.2, 0.01) == money.to_units(0.3, 0.01)
    assert money.to_units(1e-9, 0.01) == 0
    assert money.to_units(0.0, 0.01) == 0
    assert money.to_units(99999999.99, 0.01) == 9999999999


def test_from_units_round_trips():
    for units in (0, 1, 268, 9999999999, -5):
        assert money.to_units(money.from_units(units, 0.01), 0.01) == units


def test_is_below_compares_rounded_amounts():
    assert not money.is_below(0.004, 0.0, 0.01)
    assert money.is_below(0.0, 0.005, 0.01)
    assert not money.is_below(4.995, 5.0, 0.01)
    assert money.is_below(4.994, 5.0, 0.01)


def test_is_below_far_apart_and_near_the_clear_gap():
    """Amounts more than ``CLEAR_GAP`` steps apart are compared directly;
    around that gap the answer is the one counting steps gives."""
    assert money.is_below(0.0, 123.45, 0.01)
    assert not money.is_below(123.45, 0.0, 0.01)
    assert money.is_below(-5.0, 5.0, 1.0)
    assert not money.is_below(5.0, -5.0, 1.0)
    steps_apart = (-2.0, -1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)
    for rounding in (0.01, 0.05, 1.0, 5.0):
        for steps in (*steps_apart, 1.5, 2.0):
            for base in (0.0, 2.675, 100.0, -37.5):
                amount = base + steps * rounding
                counted = money.to_units(amount, rounding) < money.to_units(
                    base, rounding
                )
                assert money.is_below(amount, base, rounding) is counted, (
                    amount,
                    base,
                    rounding,
                )
