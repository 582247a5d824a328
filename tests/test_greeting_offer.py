"""The greeting's offer to help, put as a question about what the customer needs
(请问您需要什么帮助, 请问办理什么业务): it introduces the service as 有什么可以帮您 does,
also when the recogniser garbled the bank's name and the agent number. A bare salutation
still introduces nothing.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING

REST = (("c", "你好,我想问一下转账多久到账,"), ("a", "一般两个小时内到账。"), *CLOSING)


@pytest.mark.parametrize(
    "opening",
    ["您好,红卷铃行,请问您需要什么帮助?", "你好,请问办理什么业务。", "您好,您想办理啥业务"],
)
def test_an_offer_asking_what_is_needed_introduces_the_service(pack, opening):
    assert outcomes(pack, ("a", opening), *REST)["greeting"] == "passed"


@pytest.mark.parametrize("opening", ["您好,请讲。", "喂,您好,您说"])
def test_a_bare_salutation_introduces_nothing(pack, opening):
    assert outcomes(pack, ("a", opening), *REST)["greeting"] == "failed"
