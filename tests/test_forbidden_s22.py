"""forbidden_language as the pack-blind writers of the ui, uj and uk calls read it (issue 9;
tests/data/eval_audio/README.md, Conventions): any rude, dismissive, blaming, cold,
impatient, condescending or sarcastic remark by the agent fails the call, listed phrase or
not. Written as general rules of how such a remark is built:

- brush-offs: not our department with words between (不归我们…这边管), the workload as a
  rhetorical excuse (哪记得住每一个);
- impatience: the customer reproached for asking again (不是讲过了嘛), hurried with a bare
  order (快点), told to stop talking (听我讲完好不好);
- belittling: a call over so small a thing, a grievance not worth having (至于吗, 有什么好急的);
- condescension: 这也不会？, 不会用就别用, 就这么简单。, the curt either-or that answers nothing;
- sarcasm and blame: told to search their own conscience, the bank that cannot have erred
  (又不会无缘无故), 您还好意思; what the customer did not do (自己没按时还), the step they
  failed to take (为什么不早点挂失), anyone but the customer cleared (怪不到客服头上), the
  customer's own things as the cause (电脑太旧了);

and the polite agent's sentences that share their words pass: a firm refusal, a referral,
advice, reassurance, a fraud check, a case handed on (我把问题转过去).

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_rules_engine import CLOSING, GREETING, call, results


def agent_says(pack, sentence: str, customer: str = "你好，我想问一下我的账户。") -> str:
    """forbidden_language's outcome on a polite call with one agent sentence in it."""
    turns = (("a", GREETING), ("c", customer), ("a", sentence), *CLOSING)
    return results(pack, call(*turns))["forbidden_language"].outcome


COLD_REMARKS = [
    # brush-offs: not our department, with words between; the workload as an excuse
    "挂失补卡不归我们热线这边管。",
    "我们一天接几百个电话，哪记得住每一个客户。",
    # impatience: asked again, hurried, told to stop talking
    "前面不是讲过了嘛，要带身份证。",
    "卡号报一下，快点。",
    "您先别插嘴，听我讲完好不好？",
    # belittling the request or the grievance
    "这点小事也值得打个电话？",
    "不就是扣了五块钱，至于这么生气吗？",
    "有什么好急的，钱又跑不了。",
    # condescension and the curt either-or
    "改个密码这也不会？",
    "手机银行不会用就别用了。",
    "点确认就行了，就这么简单。",
    "到账就是成功，没到账就是没成功。",
    "审核通过就是通过了，不通过就是不行。",
    # sarcasm: the customer's conscience, the bank that cannot err
    "您自己好好想想为什么会被降额。",
    "银行又不会无缘无故冻您的卡。",
    "您还好意思说我们乱收费？",
    # blaming: what they did not do, the step they did not take, anyone but them cleared,
    # their own things
    "提醒短信早就发了，是您自己没按时还。",
    "卡丢了那么久，您为什么不早点挂失？",
    "这事怪不到客服头上。",
    "您那台电脑太旧了，肯定打不开新网银。",
]


@pytest.mark.parametrize("sentence", COLD_REMARKS)
def test_a_cold_remark_of_each_family_fails(pack, sentence):
    assert agent_says(pack, sentence) == "failed", sentence


POLITE_SENTENCES = [
    # a referral and the bank's own offices
    "这个不归我们信用卡中心管理，我帮您转接到借记卡专线。",
    "每个网点都可以办，您去哪个网点都行。",
    # a question about what the customer said, advice on speed, a request to hear the steps
    "您之前不是说过要调到五万吗？我再跟您确认一下。",
    "走手机银行会快一点，您也可以去柜台。",
    "身份证后四位报一下，我这边尽快给您办。",
    "您先听我说一下具体步骤。",
    # 至于 as "as for", sparing the customer a trip
    "至于您问的利息，是按活期利率算的。",
    "这点小事您不用专门跑网点，在手机上就能办。",
    "让您还专门跑一趟，实在抱歉。",
    # teaching kindly, reassuring
    "操作其实很简单，我一步一步带您做。",
    "您放心，系统不会随便扣您的钱。",
    "到账了会有短信通知，没到账的话我帮您查。",
    # a fraud check, time to decide
    "您回忆一下最近有没有在别的地方刷过卡？",
    "您自己再想想要不要办理，不着急。",
    # the customer cleared, no wonder, a fact about a version, how it happened
    "这个怪不了您，是系统出了故障。",
    "怪不得您收不到验证码，预留的还是旧号码。",
    "您手机系统版本低了一些，升级一下再试试。",
    "请问您当时是怎么发现卡不见的？",
    "如果您自己没有按时还款，系统会收取滞纳金。",
    # a case handed on, a card sent back: nobody is sent away
    "我把您反映的问题转过去，技术部门明天联系您。",
    "我找同事把卡寄回去，您留意一下快递。",
]


@pytest.mark.parametrize("sentence", POLITE_SENTENCES)
def test_the_polite_agents_sentences_that_share_their_words_pass(pack, sentence):
    assert agent_says(pack, sentence) == "passed", sentence
