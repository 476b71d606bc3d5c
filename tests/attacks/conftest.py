"""Fixtures for the attack suite: one association with its people, and the standard case."""

import pytest

from tests.crypto.scenario import Case, World, make_world, standard_case


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()


@pytest.fixture(scope="session")
def standard(world: World) -> Case:
    """Built once; tests read its envelopes and keys and never append to its log."""
    return standard_case(world)
