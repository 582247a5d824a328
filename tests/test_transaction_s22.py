"""The transaction rules as the writers of the session-22 evaluation calls read policy 4.2,
written as general rules of language:

- 么 asks for consent only on its own: 什么, 怎么 and 这么 ask nothing, so the greeting's
  请问您需要办理什么业务 is no consent request that a later 对 could answer;
- noting something down (已经记好了, 记下了您的号码) is no operation on the account, and
  lifting a loss report (已经解除了) is one;
- the new state read back after the deed (单日限额现在是五十万, 目前您的额度是八万元)
  confirms its result.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING

TRANSACTION_RULES = (
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
)


def test_the_greetings_open_question_is_no_consent_request(pack):
    got = outcomes(
        pack,
        ("a", "您好，东方银行客服中心，请问您今天需要办理什么业务？"),
        ("c", "好的，是这样，我要把预留手机号换成新号。"),
        ("a", "好的，先核对身份，请报一下身份证后六位。"),
        ("c", "三一零二二八。"),
        ("a", "核对通过。改了以后短信验证码都发到新号，旧号收不到。"),
        ("c", "嗯。"),
        ("a", "已经帮您改好了，预留手机现在是一三九零零零零一二三四。"),
        ("c", "好。"),
        *CLOSING,
    )
    assert got["customer_consent"] == "failed"


def test_a_consent_question_with_ma_still_counts(pack):
    got = outcomes(
        pack,
        ("a", "您好，东方银行客服中心，请问您今天需要办理什么业务？"),
        ("c", "我要把预留手机号换成新号。"),
        ("a", "好的，先核对身份，请报一下身份证后六位。"),
        ("c", "三一零二二八。"),
        ("a", "核对通过。改了以后短信验证码都发到新号，旧号收不到。现在给您改，可以吗？"),
        ("c", "可以。"),
        ("a", "已经帮您改好了，预留手机现在是一三九零零零零一二三四。"),
        ("c", "好。"),
        *CLOSING,
    )
    assert got["customer_consent"] == "passed"


def test_a_number_noted_down_is_no_operation(pack):
    got = outcomes(
        pack,
        ("a", "您好，东方银行客服中心，请问有什么可以帮您？"),
        ("c", "你们的推销电话能不能别再打了，我不需要。"),
        ("a", "给您添麻烦了，抱歉。我会反馈给营销部门，三个工作日内停止外呼。"),
        ("c", "那你们回电话就打这个号。"),
        ("a", "好的，您的号码我已经记好了。"),
        *CLOSING,
    )
    assert all(got[r] == "not_applicable" for r in TRANSACTION_RULES), got


def test_a_loss_report_lifted_is_an_operation_with_its_steps_judged(pack):
    got = outcomes(
        pack,
        ("a", "您好，东方银行客服中心，请问有什么可以帮您？"),
        ("c", "我昨天挂失的那张卡又找到了。"),
        ("a", "解除以后卡就恢复使用了，建议您改一下密码。给您解除挂失，可以吗？"),
        ("c", "可以。"),
        ("a", "已经解除了。"),
        ("c", "好的。"),
        *CLOSING,
    )
    # no identity check anywhere before the deed
    assert got["identity_verification"] == "failed"


def limit_raised(*, state_before: str = "", read_back: str = "") -> tuple[tuple[str, str], ...]:
    """A transfer limit raised by the book, with the state said before or read back after."""
    turns = [
        ("a", "您好，东方银行客服中心，请问有什么可以帮您？"),
        ("c", "我想把转账限额调高。"),
        ("a", "请报一下您的姓名和身份证后四位。"),
        ("c", "王明，五五一二。"),
        ("a", f"核对通过。{state_before}调高后手机丢失的话损失可能更大。"),
        ("a", "给您调到单日二十万，可以吗？"),
        ("c", "可以。"),
        ("a", "好，正在给您提交。"),
        ("c", "嗯。"),
    ]
    if read_back:
        turns += [("a", read_back), ("c", "好。")]
    return (*turns, *CLOSING)


def test_the_new_state_read_back_confirms_the_result(pack):
    got = outcomes(pack, *limit_raised(read_back="单日转账限额现在是二十万。"))
    assert got["result_confirmation"] == "passed"


def test_a_state_said_before_the_deed_confirms_nothing(pack):
    got = outcomes(pack, *limit_raised(state_before="您的单日限额现在是五万。"))
    assert got["result_confirmation"] == "failed"
