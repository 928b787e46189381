"""Which channels one reminder goes out by.

A stage offers channels (``email``, ``letter``, ``call``, and those a bridge
adds, e.g. ``sms``); the customer may prefer one; some channels cannot reach
the customer today (no valid email address, no usable mobile number). The
preference wins wherever the stage offers it and it can reach the customer:
only that channel is used. Otherwise the stage's reachable channels are used,
and the reasons say why. A preference never adds a channel the stage does not
offer.

Pure Python: facts in, decision out. Nothing here imports Odoo.
"""

from dataclasses import dataclass

PREFERRED_NOT_OFFERED = "preferred_not_offered"
"""The customer prefers a channel this stage does not use."""
PREFERRED_UNREACHABLE = "preferred_unreachable"
"""The customer prefers a channel of the stage that cannot reach it today."""
UNREACHABLE = "unreachable"
"""A channel of the stage cannot reach the customer today."""

PREFERENCE_CHANNELS = {"phone": "call"}
"""A customer's preference (``res.partner.debt_portal_channel``) as a stage
channel, where the two are named differently."""


@dataclass(frozen=True)
class ChannelChoice:
    """The channels one reminder is sent by, and why others are not used."""

    channels: frozenset = frozenset()
    """The channels to send by; empty: the customer cannot be reached."""
    reasons: tuple = ()
    """``(code, channel)`` pairs, in a stable order: the preference first,
    then each channel of the stage that cannot reach the customer."""


def preferred_channel(preference):
    """The stage channel a customer's preference names (``None`` for none)."""
    if not preference:
        return None
    return PREFERENCE_CHANNELS.get(preference, preference)


def choose(offered, preference=None, reachable=()):
    """The channels of a reminder.

    :param offered: the channels the stage uses
    :param preference: the customer's preferred channel (its portal name,
        e.g. ``phone``), or ``None``
    :param reachable: the channels that can reach the customer today
    :returns: :class:`ChannelChoice`
    """
    offered = frozenset(offered)
    reachable = frozenset(reachable)
    usable = offered & reachable
    preferred = preferred_channel(preference)
    reasons = []
    if preferred and preferred in usable:
        # The customer's way, and only it: no need to explain the others.
        return ChannelChoice(frozenset({preferred}), ())
    if preferred and preferred not in offered:
        reasons.append((PREFERRED_NOT_OFFERED, preferred))
    elif preferred:
        reasons.append((PREFERRED_UNREACHABLE, preferred))
    reasons += [
        (UNREACHABLE, channel)
        for channel in sorted(offered - reachable)
        if channel != preferred
    ]
    return ChannelChoice(frozenset(usable), tuple(reasons))
