"""Mandarin bank-call scripts for the demo, the tests and the benchmarks.

Written the way agents and customers talk on the phone (fillers, half sentences, the odd
English word), covering the situations of the bank's remote-agent policy: enquiries,
transactions, call-backs and complaints, each done right and done wrong. The bank, the
people and every number are made up; numbers are short (last four digits at most).

Script names are stable: tests and rule fixtures refer to them.
"""

from __future__ import annotations

from synth.calls import Line
from synth.script_lines import BANK
from synth.script_lines import agent as _a  # short names keep script lines short
from synth.script_lines import customer as _c

# --- done right ----------------------------------------------------------------------

_ENQUIRY_CARD_BILL = [
    _a(f"您好，{BANK}，工号3017，很高兴为您服务。"),
    _c("喂，你好。嗯，我想问一下，我那个信用卡的账单，每个月最晚哪天要还啊？", 0.7),
    _a("好的，您别着急，我给您说一下。您是想了解到期还款日，对吧？"),
    _c("对对对。", 0.3),
    _a(
        "嗯，到期还款日一般是账单日后的第二十天。您在手机app的信用卡页面，也能直接看到具体日期和应还的金额。"
    ),
    _c("哦，app里就能看是吧？那挺方便的。"),
    _a(
        "是的，打开app，点信用卡，再点账单就可以了。如果到期前还不了全额，也可以先还最低还款额，不过没还的部分会产生利息。"
    ),
    _c("嗯嗯，明白了，OK。", 0.4),
    _a("请问还有其他可以帮您的吗？"),
    _c("没有了，谢谢啊。"),
    _a("不客气，感谢您的来电，祝您生活愉快，再见！", 0.4),
]

_ENQUIRY_DEPOSIT_RATE = [
    _a(f"您好，欢迎致电{BANK}，我是客服专员，工号2046，请问有什么可以帮您？"),
    _c("你好，我想咨询一下定期存款，现在存三年的话，利率是多少？"),
    _a("嗯，好的。目前我行三年期整存整取的年利率是百分之一点九五，五十元起存。"),
    _c("那要是中间急用钱，提前取出来会怎么样？"),
    _a(
        "提前支取的话，取出来的那部分是按活期利率算利息的，所以利息会少不少。您如果不确定什么时候用钱，也可以分成几笔存，这样比较灵活。"
    ),
    _c("哦，这样啊。那我在手机上能存吗？"),
    _a("可以的，手机银行app里点存款，选定期，按提示操作就行，利率跟柜台是一样的。"),
    _c("好，那我自己在app上弄一下。"),
    _a("好的。请问还有别的问题需要咨询吗？"),
    _c("没了没了。", 0.4),
    _a("好的，感谢您的来电，再见。", 0.4),
]

_CARD_LOSS = [
    _a(f"您好，{BANK}，工号5821，很高兴为您服务。"),
    _c("你好你好，我那个，我银行卡好像丢了，找了一上午都没找到，怎么办啊？", 0.6),
    _a(
        "您先别着急，我马上帮您处理。为了保障您的账户安全，需要先核实一下您的身份。请问您怎么称呼？"
    ),
    _c("我姓李，李小红。"),
    _a("好的，李女士。请您提供一下身份证号码的后四位。"),
    _c("后四位是，嗯，3826。", 0.7),
    _a("好的。我们刚给您预留的手机发了一条验证码，麻烦您告诉我一下。"),
    _c("等一下啊，我看看……是8351。", 0.8),
    _a(
        "好的，身份核实通过了，谢谢您。我跟您说明一下：现在可以先给您办理临时挂失，挂失以后这张卡马上就不能用了，取现、刷卡和快捷支付都会停掉。临时挂失的有效期是五天，五天内需要您带身份证到网点办理正式挂失和补卡，补卡要收十元工本费。"
    ),
    _c("啊，还要收钱啊？", 0.4),
    _a(
        "是的，工本费是十元。另外提醒您，如果之后卡找回来了，也需要到网点解除挂失才能恢复使用。请问您确认要办理临时挂失吗？"
    ),
    _c("嗯……确认，办吧，先挂了再说。", 0.8),
    _a("好的，那我现在就为您操作，请您稍等。"),
    _a("李女士，让您久等了。您尾号6104的银行卡已经临时挂失成功，稍后您会收到一条短信通知。", 2.5),
    _c("好，收到了收到了。", 1.0),
    _a("请问还有其他可以帮您的吗？"),
    _c("没有了，谢谢你啊。"),
    _a("不客气，感谢您的来电，记得五天内去网点办理补卡，再见！", 0.4),
]

_TRANSFER_LIMIT = [
    _a(f"您好，这里是{BANK}客服中心，工号4630，请问有什么可以帮您？"),
    _c("喂，你好。我想把手机银行的转账限额调高一点，现在一天只能转五万，不够用。"),
    _a("好的，可以帮您办理。在调整之前，需要先核实一下您的身份。请问您的全名是？"),
    _c("王丽。"),
    _a("王女士您好。请您提供一下身份证后四位，还有这个账户绑定的手机号后四位。"),
    _c("身份证后四位是0517，手机后四位是2291。", 0.7),
    _a("好的，稍等。嗯，信息核对一致，谢谢您。请问您想调到多少呢？", 1.2),
    _c("调到二十万吧，我下周要付房子的首付。"),
    _a(
        "明白。我需要提醒您一下，限额调高以后，如果手机丢了或者遇到诈骗，资金损失的风险也会相应变大。调整是当天生效的，这项服务不收费。建议您付完款以后，再把限额调回来。请问您确认把单日转账限额调整为二十万元吗？"
    ),
    _c("确认，调吧。", 0.5),
    _a("好的，正在为您操作。"),
    _a(
        "已经帮您调整好了，您手机银行的单日转账限额现在是二十万元，您可以在app的安全设置里查看。",
        2.0,
    ),
    _c("好的，我看到了，OK。", 0.9),
    _a(
        "另外温馨提示一下，我行工作人员不会向您索要验证码，请注意防范电信诈骗。请问还有其他需要帮忙的吗？"
    ),
    _c("没了，谢谢。"),
    _a("感谢您的来电，祝您生活愉快，再见。", 0.4),
]

_CALLBACK = [
    _a(f"您好，{BANK}，工号1958，很高兴为您服务。"),
    _c("你好，我上周从国外汇了一笔钱回来，到现在还没到账，想问问是怎么回事。"),
    _a("好的，您别着急。请问是从哪个国家汇过来的，大概是哪天汇出的？"),
    _c("从澳大利亚，上周二汇的，汇款人是我女儿。"),
    _a(
        "嗯，明白了。跨境汇款一般需要三到五个工作日，但是具体卡在哪个环节，要我们国际业务部去跟中转行查询，我这边暂时没办法马上给您答复。"
    ),
    _c("啊？那要等多久啊？", 0.4),
    _a(
        "我现在就帮您提交查询，国际业务部的同事会在两个工作日内给您回电，告诉您处理结果。请问联系您还是用尾号8842的这个手机号码吗？"
    ),
    _c("对，就是这个号。"),
    _a(
        "好的，跟您确认一下：联系电话是尾号8842的手机，两个工作日内回电，查询您上周二从澳大利亚汇入的那笔款项。这样可以吗？"
    ),
    _c("可以可以，那麻烦你们了。"),
    _a("不麻烦，应该的。请问还有其他可以帮您的吗？"),
    _c("没有了。", 0.4),
    _a("好的，感谢您的来电，再见。", 0.4),
]

_COMPLAINT = [
    _a(f"您好，{BANK}，工号7305，很高兴为您服务。"),
    _c(
        "你好，我要投诉！我上个月信用卡被扣了三百块年费，当时办卡的时候，你们的人明明说是免年费的！",
        0.4,
    ),
    _a("非常抱歉给您带来了不好的体验，您先别着急，我这边……"),
    _c("我怎么能不着急？三百块钱呢，也没人通知我一声！", -0.6),
    _a("是的是的，我完全理解您的心情，换作是我也会不高兴。请您放心，这个问题我一定帮您跟进到底。"),
    _a("为了帮您查询，需要先核实一下身份，请问您的姓名和身份证后四位是？", 0.4),
    _c("赵敏，后四位是4402。"),
    _a(
        "好的，赵女士，谢谢您。我这边看到，您这张卡是免首年年费的，第二年起需要刷满六次才能免年费，去年您刷了四次，所以系统扣了年费。",
        1.0,
    ),
    _c("可是当时根本没人跟我说要刷六次啊。"),
    _a(
        "嗯，我明白，这个情况我会如实记录下来。年费减免需要我们信用卡中心审核，我现在就把您的投诉转交给信用卡中心，他们会在三个工作日内联系您，给您一个处理结果。"
    ),
    _c("三个工作日？那要是不给我退呢？"),
    _a(
        "我理解您的顾虑。信用卡中心会根据当时的办卡记录来核实，如果确实是我们的工作人员没有讲清楚，会为您办理退费的。结果出来之前，这笔年费不会影响您的征信，您放心。"
    ),
    _c("嗯，那好吧，我等你们电话。"),
    _a(
        "好的。再次向您表示歉意，投诉单号已经发到您的手机上了，有任何进展我们都会及时通知您。请问还有其他可以帮您的吗？"
    ),
    _c("没有了。", 0.4),
    _a("感谢您的来电和宝贵意见，再见。", 0.4),
]

# --- done wrong ----------------------------------------------------------------------

_NO_GREETING = [
    _a("喂，说。"),
    _c(f"呃，你好，是{BANK}吗？我想问一下，我网银的登录密码忘了，怎么重置啊？", 0.8),
    _a("app登录页下面有个忘记密码，点进去按步骤弄就行。"),
    _c("要用身份证吗？"),
    _a("要，身份证、银行卡都要，还要手机验证码。", 0.4),
    _c("哦，那要是手机号换了呢？"),
    _a("那就只能去网点了。", 0.4),
    _c("哦……好吧，那谢谢啊。"),
    _a("嗯。", 0.3),
]

_SLOW_ANSWER = [
    _c("喂？喂？有人吗？", 4.0),
    _a(f"您好，{BANK}，工号2519，很高兴为您服务。", 3.0),
    _c("哎，终于通了。我想问一下，今天美元的汇率是多少？"),
    _a(
        "好的，请稍等，我帮您查一下。今天我行美元现汇的卖出价是七点一八，仅供参考，实际以您办理时的牌价为准。",
        0.8,
    ),
    _c("行，知道了，谢谢。"),
    _a("请问还有其他可以帮您的吗？"),
    _c("没了。", 0.4),
    _a("感谢您的来电，再见。", 0.4),
]

_TRANSFER_NO_VERIFICATION = [
    _a(f"您好，{BANK}，工号6012，请讲。"),
    _c("你好，我想把转账限额提高一下，现在每天五万不够用。"),
    _a("行，要调到多少？", 0.4),
    _c("二十万吧。", 0.4),
    _a("好，稍等。"),
    _a("好了，已经给您改成二十万了。", 2.0),
    _c("这么快啊？不用核对一下信息吗？", 0.5),
    _a("哦，不用，您直接用就行了。还有别的事吗？"),
    _c("没了。", 0.4),
    _a("好，再见。", 0.3),
]

_CARD_LOSS_LATE_VERIFICATION = [
    _a(f"您好，{BANK}，工号2387，很高兴为您服务。"),
    _c("你好，我的卡丢了，要挂失。"),
    _a("好的，我先帮您把卡冻结了。"),
    _a("好了，已经挂失了。", 2.0),
    _c("哦，好的。", 0.5),
    _a("那个，麻烦您报一下姓名和身份证后四位，我登记一下。"),
    _c("陈静，后四位是1190。"),
    _a("好的。补卡的话，您自己去网点办就行。请问还有其他可以帮您的吗？"),
    _c("补卡要钱吗？"),
    _a("要的，到时候网点会跟您说。", 0.4),
    _c("哦，行吧。"),
    _a("感谢您的来电，再见。", 0.4),
]

_COMPLAINT_RUDE = [
    _a(f"喂，{BANK}。"),
    _c("你好，我要投诉，你们的ATM把我的卡吞了，钱也没取出来！"),
    _a("吞卡了你去网点找，这个我管不了。", 0.4),
    _c("我就是在你们网点门口的ATM上被吞的，网点已经下班了，我怎么办？"),
    _a("那你明天再去呗。", 0.4),
    _c("明天？我明天还要上班！你们这是什么服务态度啊？", -0.3),
    _a("规定就是这样的，我也没办法。", 0.4),
    _c("那钱呢？我取的两千块没出来，但是账户里已经扣了！"),
    _a("这个系统会自动冲正的，你自己去看app里的明细。", 0.4),
    _c("我看了，没有啊！", 0.3),
    _a("那你就再等等。还有事吗？没事我挂了。", 0.4),
    _c("你……算了算了！", 0.5),
]

_CALLBACK_NO_COMMITMENT = [
    _a(f"您好，{BANK}，工号3350，很高兴为您服务。"),
    _c("你好，我想问一下，提前还房贷的话，要付违约金吗？大概多少？"),
    _a("这个……要看您合同是怎么签的，我这边查不到。", 0.9),
    _c("那我该问谁啊？"),
    _a("您等贷款中心通知吧，有消息会有人联系您的。"),
    _c("大概什么时候呢？"),
    _a("这个不好说，您等着就行。", 0.4),
    _c("哦……那好吧。", 0.7),
    _a("嗯，还有别的吗？"),
    _c("没了。", 0.4),
    _a("好，感谢来电，再见。", 0.3),
]

SCRIPTS: dict[str, list[Line]] = {
    "enquiry_card_bill": _ENQUIRY_CARD_BILL,
    "enquiry_deposit_rate": _ENQUIRY_DEPOSIT_RATE,
    "card_loss": _CARD_LOSS,
    "transfer_limit": _TRANSFER_LIMIT,
    "callback_remittance": _CALLBACK,
    "complaint_annual_fee": _COMPLAINT,
    "no_greeting": _NO_GREETING,
    "slow_answer": _SLOW_ANSWER,
    "transfer_no_verification": _TRANSFER_NO_VERIFICATION,
    "card_loss_late_verification": _CARD_LOSS_LATE_VERIFICATION,
    "complaint_rude": _COMPLAINT_RUDE,
    "callback_no_commitment": _CALLBACK_NO_COMMITMENT,
}

DESCRIPTIONS: dict[str, str] = {
    "enquiry_card_bill": "enquiry answered on the spot; standard greeting and closing",
    "enquiry_deposit_rate": "enquiry with a greeting variant; accurate answer, closing",
    "card_loss": "card loss report: identity check, risks and fee, explicit consent, result",
    "transfer_limit": "transfer limit raised: identity check, risk, consent, result, fraud tip",
    "callback_remittance": "agent cannot answer: call-back in two working days, number confirmed",
    "complaint_annual_fee": "complaint with an interruption: apology, time commitment, hand-off",
    "no_greeting": "non-compliant: no greeting, curt answers, no closing",
    "slow_answer": "non-compliant: the customer waits, calls out, and only then the agent answers",
    "transfer_no_verification": "non-compliant: limit changed with no identity check or consent",
    "card_loss_late_verification": "non-compliant: card frozen first, identity checked afterwards",
    "complaint_rude": "non-compliant: cold agent (这个我管不了, 你自己去看), no apology",
    "callback_no_commitment": "non-compliant: cannot answer, but no time or contact number given",
}
