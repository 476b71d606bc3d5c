"""A second reseal of one content entry in one full re-encryption, hidden by stubbing the first
(docs/PROTOCOL.md 9, step 12). A reseal's stub no longer shows which entry it named, so the
"already resealed" rule of step 10 cannot see the first when the second arrives. The reseals of one
full re-encryption are therefore stubbed together or not at all. The test fails without that rule
(checked by removing it from ``CaseLog.check_complete``)."""

import pytest

from crypto.caselog import verify_case_log
from crypto.entry import Kind, parse_entry
from crypto.errors import IncompleteLog, ReplayedEntry
from crypto.writer import rotate_case_key_as_coordinator, stub_of
from tests.crypto.scenario import World, body, craft, replay, standard_case


def two_reseals_then_full(world: World) -> tuple[bytes, list[bytes], bytes, bytes, bytes]:
    """The standard case, a FULL rotation, carol's reseal of the intake, a second reseal of it
    from her other device built on the same view, and another FULL rotation after the first."""
    case = standard_case(world)
    intake = parse_entry(case.envelopes[1]).hash
    case.rotate("carol", full=True)
    base = list(case.envelopes)
    view = replay(world, base)
    carol, epoch = world["carol"], view.state.epoch
    first = craft(view, carol, Kind.RESEAL, case_key=case.keys[epoch], body_json=body("intake", alias="M. K."),
                  ref=intake)
    second = craft(replay(world, base), carol, Kind.RESEAL, case_key=case.keys[epoch],
                   body_json=body("intake", alias="someone else"), ref=intake, device_id=b"\x55" * 16)
    view.append(first)
    rotation, _key = rotate_case_key_as_coordinator(view, carol.keys, device_id=carol.device_id,
                                                    case_key=case.keys[epoch], full=True)
    return case.case_id, base, first, second, rotation


def test_a_second_reseal_beside_a_stubbed_first_is_refused(world: World) -> None:
    case_id, base, first, second, rotation = two_reseals_then_full(world)
    key = world.association.public_key
    # Whole, the second reseal of the same entry in the same re-encryption is a replay.
    with pytest.raises(ReplayedEntry):
        verify_case_log(case_id, [*base, first, second, rotation], key)
    # With the first stubbed, it used to pass; the reseals of one re-encryption now go together.
    with pytest.raises(IncompleteLog, match="same re-encryption"):
        verify_case_log(case_id, [*base, stub_of(first), second, rotation], key)
    # Both stubbed, nothing of either is readable any more, and the log verifies.
    verify_case_log(case_id, [*base, stub_of(first), stub_of(second), rotation], key)
    # The first alone, whole or stubbed after the newer re-encryption, is as before.
    verify_case_log(case_id, [*base, first, rotation], key)
    verify_case_log(case_id, [*base, stub_of(first), rotation], key)
