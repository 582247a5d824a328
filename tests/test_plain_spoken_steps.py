"""Script steps said plainly, in words the pack did not list (found on the blind split
calls_ul, which was written without seeing the pack): an identity a colleague already
checked (核实过您的身份), a state the system shows (显示已经转出) that is no deed of the
agent's, an intent (我帮您重置。请报一下…) that is no deed yet, a consequence put as
如果…会 or 会再次锁定 or 会被拒, a result read back as the state it left (恢复正常了) or
where the money went, a sorry that only opens a refusal for want of authority, the
rhetorical who-doesn't (谁…不…啊) and the shrug onto someone else (我们也管不了), a
customer chasing a broken promise (说好…, 到底管不管), and a complaint's redress by a date
that is a stop (月底之前就不会再扣了). Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import agent_says, outcomes
from tests.test_closing_recognised import closing
from tests.test_rules_engine import CLOSING, GREETING

IDENTITY = (
    ("a", "好的,先核对一下身份,请报一下姓名和身份证后四位。"),
    ("c", "王芳,后四位五五一八,"),
)
RISK = ("a", "提醒您,重置以后原来的密码就不能用了。")
CONSENT = (("a", "现在给您重置,可以吗?"), ("c", "可以,"))
DONE = ("a", "好的,已经重置成功了,新密码短信发给您了。")


def reset_call(pack, *middle: tuple[str, str]) -> dict[str, str]:
    """The outcomes of a password-reset call with ``middle`` between its opening and end."""
    return outcomes(
        pack,
        ("a", GREETING),
        ("c", "你好,我网银密码忘了,想重置一下,"),
        *middle,
        ("c", "收到了,谢谢,"),
        *CLOSING,
    )


# --- identity -----------------------------------------------------------------------------


def test_an_identity_already_checked_counts(pack):
    got = reset_call(pack, ("a", "前面的同事已经核对过您的身份了。"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"


def test_no_identity_check_still_fails(pack):
    got = reset_call(pack, ("a", "前面的同事把您转过来了。"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "failed"


# --- what is no deed of the agent's ----------------------------------------------------------


def test_what_the_system_shows_is_no_deed(pack):
    status = ("a", "我看一下,您上次那笔钱显示已经转出了。")
    got = reset_call(pack, status, ("c", "嗯,"), *IDENTITY, RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"


def test_an_intent_before_the_check_is_no_deed(pack):
    intent = ("a", "我帮您重置。麻烦报一下姓名和身份证后四位。")
    got = reset_call(pack, intent, ("c", "王芳,五五一八,"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"
    assert got["customer_consent"] == "passed"


def test_a_deed_said_done_before_the_check_is_still_late(pack):
    done_early = ("a", "我现在给您重置了。")
    got = reset_call(pack, done_early, *IDENTITY, RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "failed"


# --- consequences -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "warning",
    [
        "如果新密码连着输错三次,会再次锁定。",
        "重置后网银里面的定时转账都会被拒,要重新设置。",
        "要是三个月不登录,账户会自动休眠。",
    ],
)
def test_a_consequence_in_plain_words_is_a_disclosure(pack, warning):
    got = reset_call(pack, *IDENTITY, ("a", warning), *CONSENT, DONE)
    assert got["risk_disclosure"] == "passed"


def test_no_consequence_still_fails(pack):
    got = reset_call(pack, *IDENTITY, ("a", "好的,我看到您的账户了。"), *CONSENT, DONE)
    assert got["risk_disclosure"] == "failed"


# --- the result ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    ["好,您的网银恢复正常了。", "两万块钱转到您尾号六二的活期账户上了。"],
)
def test_the_state_left_or_where_the_money_went_is_a_result(pack, result):
    done = ("a", "好的,我这边操作了。")
    got = reset_call(pack, *IDENTITY, RISK, *CONSENT, done, ("c", "嗯,"), ("a", result))
    assert got["result_confirmation"] == "passed"


def test_money_that_will_go_somewhere_is_no_result(pack):
    done = ("a", "好的,我这边操作了。")
    future = ("a", "钱会转到您尾号六二的账户,请留意。")
    got = reset_call(pack, *IDENTITY, RISK, *CONSENT, done, ("c", "嗯,"), future)
    assert got["result_confirmation"] == "failed"


# --- complaints ---------------------------------------------------------------------------

COMPLAINT = (
    ("a", GREETING),
    ("c", "你们上个月多扣了我八十块年费,我要投诉,必须退给我。"),
)


def complaint_outcomes(pack, *turns: tuple[str, str]) -> dict[str, str]:
    return outcomes(pack, *COMPLAINT, *turns, ("c", "行,"), *CLOSING)


def test_a_sorry_that_opens_a_refusal_for_want_of_authority_is_no_apology(pack):
    refusal = ("a", "不好意思,退费我这边没有权限,我给您提交工单,三个工作日内回复您。")
    assert complaint_outcomes(pack, refusal)["complaint_apology"] == "failed"


def test_a_sorry_for_the_charge_is_an_apology(pack):
    sorry = ("a", "非常抱歉多扣了您的年费,我给您提交工单,三个工作日内回复您。")
    assert complaint_outcomes(pack, sorry)["complaint_apology"] == "passed"


def test_a_stop_by_a_date_is_a_handling_time(pack):
    stop = ("a", "真的很抱歉,我给您登记了,这个月底之前就不会再扣了。")
    assert complaint_outcomes(pack, stop)["complaint_time_commitment"] == "passed"


@pytest.mark.parametrize(
    "grievance",
    ["说好三天给我回电话,到现在也没人打来。", "我就想问问,你们到底还管不管?"],
)
def test_chasing_a_broken_promise_is_a_complaint(pack, grievance):
    turns = (("a", GREETING), ("c", grievance), ("a", "好的,我帮您查一下。"), ("c", "嗯,"))
    got = outcomes(pack, *turns, *CLOSING)
    assert got["complaint_apology"] == "failed"


def test_a_plain_question_is_no_complaint(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想问一下信用卡年费怎么收?"),
        ("a", "首年免年费。"),
        ("c", "好,"),
    )
    assert outcomes(pack, *turns, *CLOSING)["complaint_apology"] == "not_applicable"


# --- agent language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "retort",
    ["这个时间段谁打电话不等啊,正常的。", "物流那是快递公司的事,我们银行也管不了。"],
)
def test_the_rhetorical_retort_and_the_shrug_are_cold(pack, retort):
    assert agent_says(pack, retort) == "failed"


@pytest.mark.parametrize(
    "kind",
    ["这种事谁也不想遇到啊,我马上帮您查。", "谁都不希望这样呢,您别着急。"],
)
def test_sympathy_is_not_a_retort(pack, kind):
    assert agent_says(pack, kind) == "passed"


# --- found on calls_um (an eighth blind writer): video banking, other centres, other shapes --


@pytest.mark.parametrize(
    "opening",
    ["您好，华泰信用卡中心，请问您想了解点什么？", "您好，远程服务中心，您想咨询些什么？"],
)
def test_a_centre_by_another_name_or_an_offer_to_answer_is_a_greeting(pack, opening):
    turns = (("a", opening), ("c", "我问下年费,"), ("a", "首年免年费。"), ("c", "好,"))
    assert outcomes(pack, *turns, *CLOSING)["greeting"] == "passed"


def test_a_bare_salutation_is_still_no_greeting(pack):
    turns = (("a", "您好，您说。"), ("c", "我问下年费,"), ("a", "首年免年费。"), ("c", "好,"))
    assert outcomes(pack, *turns, *CLOSING)["greeting"] == "failed"


def test_identity_checked_on_camera_counts(pack):
    camera = (
        ("a", "请您把身份证对着摄像头，再看一下镜头。"),
        ("c", "这样可以吗？"),
        ("a", "可以了，人脸比对通过。"),
    )
    assert reset_call(pack, *camera, RISK, *CONSENT, DONE)["identity_verification"] == "passed"


def test_explaining_face_recognition_is_no_identity_check(pack):
    how = ("a", "您也可以在手机银行里做人脸识别，自己重置。")
    assert reset_call(pack, how, RISK, *CONSENT, DONE)["identity_verification"] == "failed"


def test_an_id_number_the_customer_cannot_give_is_no_check(pack):
    unanswered = (
        ("a", "请报一下身份证后四位。"),
        ("c", "身份证我没带，号码也记不全。"),
        ("a", "那算了，问题不大。"),
    )
    assert reset_call(pack, *unanswered, RISK, *CONSENT, DONE)["identity_verification"] == "failed"


@pytest.mark.parametrize(
    "ask, answer",
    [
        ("确认把登录密码重置掉？", "确认,"),
        ("可以帮您提交密码重置申请。", "好的,帮我提交吧,"),
    ],
)
def test_a_bare_confirm_question_or_an_offer_asks_for_consent(pack, ask, answer):
    got = reset_call(pack, *IDENTITY, RISK, ("a", ask), ("c", answer), DONE)
    assert got["customer_consent"] == "passed"


@pytest.mark.parametrize("warning", ["重置要收工本费十元。", "重置以后原来保存的收款人就没有了。"])
def test_a_fee_with_its_amount_or_what_is_lost_is_a_disclosure(pack, warning):
    assert (
        reset_call(pack, *IDENTITY, ("a", warning), *CONSENT, DONE)["risk_disclosure"] == "passed"
    )


def test_a_debit_said_done_is_the_deed_and_a_request_sent_is_its_result(pack):
    turns = (
        ("a", GREETING),
        ("c", "我保管箱的租金过期了，现在续一年。"),
        *IDENTITY,
        ("a", "续一年六百元，从您活期扣，可以吗？"),
        ("c", "可以,"),
        ("a", "好，扣款成功，续租申请已经送出。"),
        ("c", "好,"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["identity_verification"] == "passed"
    assert got["result_confirmation"] == "passed"


def test_a_long_wait_in_hours_is_a_complaint(pack):
    turns = (("a", GREETING), ("c", "我在你们网点排了两个多钟头，最后说办不了！"))
    got = outcomes(pack, *turns, ("a", "好的，您说。"), ("c", "嗯,"), *CLOSING)
    assert got["complaint_apology"] == "failed"


@pytest.mark.parametrize(
    "question",
    ["那我在国外是不是都取不了钱？", "我想问一下，我的额度怎么突然降了？"],
)
def test_a_worried_or_framed_question_is_no_complaint(pack, question):
    turns = (("a", GREETING), ("c", question), ("a", "我帮您看一下。"), ("c", "嗯,"))
    assert outcomes(pack, *turns, *CLOSING)["complaint_apology"] == "not_applicable"


def test_a_change_out_of_the_blue_thrown_at_the_bank_stays_a_complaint(pack):
    turns = (("a", GREETING), ("c", "你们怎么突然把我额度降了？"), ("a", "我帮您看一下。"))
    assert outcomes(pack, *turns, ("c", "嗯,"), *CLOSING)["complaint_apology"] == "failed"


@pytest.mark.parametrize(
    "remark", ["短信都发了好几次，自己不看怪谁呢。", "这个很简单，年轻人一看就懂。"]
)
def test_blame_and_age_held_against_the_customer_are_cold(pack, remark):
    assert agent_says(pack, remark) == "failed"


def test_no_one_to_blame_is_not_cold(pack):
    assert agent_says(pack, "这种情况谁也不能怪，我们一起想办法。") == "passed"


# --- found on calls_un (a ninth blind writer): messy calls, code-switching -----------------


def test_asking_whether_the_caller_is_the_holder_verifies_nothing(pack):
    asked = (("a", "您是持卡人本人吧？"), ("c", "对，是我。"), ("a", "好的，卡号后四位是多少？"))
    got = reset_call(pack, *asked, ("c", "三三九一。"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "failed"


def test_set_up_said_done_is_the_deed(pack):
    done = ("a", "设定好了，从下个月开始每月自动扣。")
    got = reset_call(pack, *IDENTITY, RISK, *CONSENT, done)
    assert got["identity_verification"] == "passed"
    assert got["result_confirmation"] == "passed"


@pytest.mark.parametrize(
    "warning",
    ["对方不同意的话，钱没法强行扣回。", "追不到的话，就得您自己去报警了。"],
)
def test_money_that_cannot_be_forced_back_is_a_disclosure(pack, warning):
    assert (
        reset_call(pack, *IDENTITY, ("a", warning), *CONSENT, DONE)["risk_disclosure"] == "passed"
    )


def test_telling_the_customer_to_apply_later_is_no_application(pack):
    turns = (
        ("a", GREETING),
        ("c", "我的额度能不能提一下？"),
        ("a", "您可以过段时间在app里申请提额试试。"),
        ("c", "哦,"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["identity_verification"] == "not_applicable"


def test_this_you_cannot_even_do_is_condescending(pack):
    assert agent_says(pack, "点两下就行，这都不会弄啊？") == "failed"
    assert agent_says(pack, "这个都不会影响您的额度。") == "passed"


@pytest.mark.parametrize(
    "grievance",
    [
        "经理说是定期存款，今天才知道是个保险。",
        "当时根本没说要收手续费，我要求全额退。",
        "上次说帮我查，到现在也没人回我。",
    ],
)
def test_a_mis_sale_or_a_case_nobody_answered_is_a_complaint(pack, grievance):
    turns = (("a", GREETING), ("c", grievance), ("a", "我帮您看一下。"), ("c", "嗯,"))
    assert outcomes(pack, *turns, *CLOSING)["complaint_apology"] == "failed"


@pytest.mark.parametrize("question", ["那还有没有别的要办的？", "还要问点别的吗？"])
def test_anything_else_asked_in_other_words_is_a_closing_question(pack, question):
    """还有没有其他 (calls_um) and a word between 还要 and 别的 (calls_un)."""
    farewell = (("a", question), ("c", "没了,"), ("a", "好的，谢谢您的来电，再见。"))
    assert closing(pack, *farewell) == "passed"
