"""A grievance as a recogniser writes it: its comma may fall inside the words (我说了好,几次
不要了还打), and the told-again-and-again grievance is still one. Said of the agent
(你说了一遍,好吗) it still answers the agent and is no grievance.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_complaint_s22 import complaint_call, neutral_call


@pytest.mark.parametrize("customer", ["我说了好,几次不要了还打,", "都讲过,三遍了,怎么还在扣"])
def test_told_again_and_again_with_a_comma_inside_is_a_complaint(pack, customer):
    got = outcomes(pack, *complaint_call(customer))
    assert got["complaint_apology"] == "passed", customer
    assert outcomes(pack, *neutral_call(customer))["complaint_apology"] == "failed", customer


def test_said_of_the_agent_it_is_no_complaint(pack):
    got = outcomes(pack, *neutral_call("你说了一遍,好吗,我没听清,"))
    assert got["complaint_apology"] == "not_applicable"
