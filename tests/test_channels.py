"""Which channels a reminder goes out by: the stage's, the customer's
preference where the stage offers it, what can reach the customer."""

from services import channels
from services.channels import (
    PREFERRED_NOT_OFFERED,
    PREFERRED_UNREACHABLE,
    UNREACHABLE,
    ChannelChoice,
)

ALL = {"email", "letter", "call", "sms"}


def test_without_preference_every_reachable_channel_of_the_stage():
    choice = channels.choose({"email", "letter"}, None, ALL)
    assert choice == ChannelChoice(frozenset({"email", "letter"}), ())


def test_the_preferred_channel_alone_when_the_stage_offers_it():
    choice = channels.choose({"email", "letter"}, "letter", ALL)
    assert choice == ChannelChoice(frozenset({"letter"}), ())


def test_phone_preference_is_the_stage_call():
    choice = channels.choose({"email", "call"}, "phone", ALL)
    assert choice.channels == {"call"}
    assert channels.preferred_channel("phone") == "call"
    assert channels.preferred_channel("sms") == "sms"
    assert channels.preferred_channel(False) is None


def test_a_preference_the_stage_lacks_keeps_the_stage_channels_and_says_why():
    choice = channels.choose({"email"}, "phone", ALL)
    assert choice.channels == {"email"}
    assert choice.reasons == ((PREFERRED_NOT_OFFERED, "call"),)


def test_a_preference_never_widens_the_stage():
    choice = channels.choose({"letter"}, "sms", ALL)
    assert "sms" not in choice.channels
    assert choice.channels == {"letter"}


def test_preferred_but_unreachable_falls_back_to_the_other_channels():
    choice = channels.choose({"email", "sms"}, "sms", {"email", "letter", "call"})
    assert choice.channels == {"email"}
    assert choice.reasons == ((PREFERRED_UNREACHABLE, "sms"),)


def test_an_unreachable_channel_is_left_out_with_its_reason():
    choice = channels.choose({"email", "sms"}, None, {"email", "letter", "call"})
    assert choice.channels == {"email"}
    assert choice.reasons == ((UNREACHABLE, "sms"),)


def test_nothing_reachable_chooses_nothing():
    choice = channels.choose({"sms"}, None, {"email", "letter", "call"})
    assert choice.channels == frozenset()
    assert choice.reasons == ((UNREACHABLE, "sms"),)


def test_reasons_are_in_a_stable_order():
    choice = channels.choose({"email", "sms"}, "letter", {"letter", "call"})
    assert choice.channels == frozenset()
    assert choice.reasons == (
        (PREFERRED_NOT_OFFERED, "letter"),
        (UNREACHABLE, "email"),
        (UNREACHABLE, "sms"),
    )
