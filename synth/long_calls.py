"""Long Mandarin bank calls of any length, for the benchmarks: one opening, as many
self-contained topics as the length needs, one closing."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import ConfigError
from synth.calls import Line
from synth.script_lines import BANK
from synth.script_lines import agent as _a  # short names keep script lines short
from synth.script_lines import customer as _c

# Self-contained topics one customer might raise in a single long call, after identity
# has been checked once; long_call() strings as many as needed together.

_LONG_OPENING = [
    _a(f"您好，{BANK}，工号4188，很高兴为您服务。"),
    _c("喂，你好。我有几个事想问一下。", 0.7),
    _a("好的，您请说。可能涉及您的账户，我先核实一下身份，请问您的姓名和身份证后四位是？"),
    _c("我叫周芳，后四位是7731。"),
    _a("好的，周女士，核实通过了，谢谢您。您请讲。", 1.0),
]

_LONG_TOPICS: list[list[Line]] = [
    [
        _c("先问个简单的，你们网点周末开门吗？"),
        _a(
            "我行大部分网点周六上午九点到十二点营业，周日休息。具体的可以在app里查附近网点的营业时间。"
        ),
        _c("好的，知道了。"),
    ],
    [
        _c("还有，我这个月工资卡的余额，好像比我算的少了一点。"),
        _a("好的，我帮您看一下。您尾号5590的账户，本月有一笔短信服务费两元，还有一笔水电费代扣。"),
        _c("哦对，水电费是自动扣的，我给忘了。那短信费是每个月都有吗？", 0.6),
        _a(
            "是的，短信提醒是每月两元。如果您觉得用不上，可以在app里关掉，关掉以后就收不到动账提醒了。"
        ),
        _c("那还是留着吧，挺有用的。"),
    ],
    [
        _c("嗯，还有一个事儿。我上个月信用卡刷了一笔比较大的，想分期还，可以吗？"),
        _a(
            "可以的。您那笔是八千元的消费，可以申请账单分期，分六期或者十二期，每期会收一点手续费。"
        ),
        _c("手续费大概多少啊？"),
        _a(
            "分十二期的话，每期手续费是本金的百分之零点六，一年下来总共五百七十六元。提前还清的话，已经收的手续费是不退的。"
        ),
        _c("嗯……那还挺多的。我想想，先分六期吧。"),
        _a(
            "好的。跟您确认一下，八千元分六期，每期手续费四十八元，从下个账单开始收取。您确认办理吗？",
            0.8,
        ),
        _c("确认。"),
        _a("好的，已经帮您办好了，您可以在app的分期记录里看到。", 1.8),
    ],
    [
        _c("还有，我手机换了以后，那个app就登不上了，一直说人脸识别失败。"),
        _a(
            "嗯，这种情况一般是光线或者角度的问题。您可以到光线亮一点的地方，摘掉眼镜，正对着手机再试一下。"
        ),
        _c("试了好几次了，还是不行。"),
        _a("那您也可以选择用短信验证码登录，登录页右下角有一个其他方式，点进去就能看到。"),
        _c("哦，我看到了，验证码收到了……好了好了，登上了，OK。", 1.5),
    ],
    [
        _c("对了，我下个月要去日本旅游，信用卡在那边能直接刷吗？"),
        _a(
            "您这张是双币卡，在日本可以直接刷，消费会自动换算成人民币入账。不过境外取现的话，每笔要收手续费，建议您尽量刷卡消费。"
        ),
        _c("那要不要提前跟你们说一声啊？"),
        _a("不用专门报备。不过为了安全，建议您在app里把境外交易的限额设一下，回国以后再关掉。"),
        _c("好，那我回头自己设一下。"),
    ],
    [
        _c("还有就是我的信用卡积分，我看有好几万分了，能换点什么吗？"),
        _a(
            "可以的。积分可以兑换商城里的礼品，也可以抵扣年费，还能换航空里程。您在app首页点积分商城就能看到。"
        ),
        _c("积分会过期吗？"),
        _a("会的，积分的有效期是三年，今年年底会有一部分到期，建议您尽快使用。"),
        _c("哎哟，那我赶紧去看看。"),
    ],
    [
        _c("另外我之前买的那个理财，好像快到期了，到期以后钱会自动回到卡里吗？"),
        _a(
            "是的，到期以后本金和收益会在一到两个工作日内回到您的账户。需要提醒您的是，理财产品不同于存款，收益是不保证的，以实际到账为准。"
        ),
        _c("那我想接着买一个，有什么推荐吗？"),
        _a(
            "这个需要根据您的风险评估结果来选。您的评估已经过期了，建议先在app里重新做一下风险评估，再看适合您的产品。"
        ),
        _c("行，那我先做评估。"),
    ],
    [
        _c("嗯，还有，我想把预留的手机号改一下，电话里能改吗？"),
        _a(
            "不好意思，修改预留手机号涉及资金安全，电话里是没办法办理的，需要您本人带身份证和银行卡去任意一个网点办理。"
        ),
        _c("啊，必须本人去啊？"),
        _a(
            "是的，这是为了保护您的账户安全，还请您理解。网点工作日是早上九点到下午五点，周六上午也营业。"
        ),
        _c("好吧，那我周六去一趟。"),
    ],
    [
        _c("还有一个问题，我的信用卡额度能不能提高一点？现在才两万。"),
        _a("额度调整需要系统根据您的用卡情况综合评估，我这边看不到评估结果，不能马上答复您。"),
        _c("那怎么办呢？"),
        _a(
            "我帮您提交一个提额申请，信用卡中心会在三个工作日内给您回电告知结果。回电还是打尾号3306的这个手机，可以吗？"
        ),
        _c("可以，就打这个。"),
        _a("好的，已经为您提交了，请保持电话畅通。", 1.2),
    ],
    [
        _c("哦还有，我昨天看到一笔扣款，九十九块，我根本不认识，这是什么啊？"),
        _a("非常抱歉让您担心了。我看一下，这笔是一个视频网站的自动续费，是去年您开通的。"),
        _c("我早就不用了，怎么还在扣啊？"),
        _a(
            "理解您的心情。自动续费需要在那个网站里取消，我们这边可以先帮您关闭这张卡的免密支付。这笔钱的退款，我帮您转给争议处理部门，他们会在五个工作日内联系您。"
        ),
        _c("行，那就麻烦你了。", 0.6),
    ],
    [
        _c("再问一下，我想换点港币，可以在网上换吗？"),
        _a(
            "可以的，在app里点外汇，选购汇，填写金额和用途就可以了。个人每年有五万美元的便利化额度，港币也是按这个额度折算的。"
        ),
        _c("换好了以后是取现金还是在卡里？"),
        _a("会先存在您的外币账户里。如果要取港币现金，需要提前一天预约，到网点柜台领取。"),
        _c("哦，明白了。"),
    ],
    [
        _c("对了，你们那个手机银行的转账，转给别的银行要手续费吗？"),
        _a("不收的。手机银行跨行转账目前是免费的，一般实时到账，大额的话可能稍微慢一点。"),
        _c("那晚上转也能马上到吗？"),
        _a("五万以下的跨行转账，晚上和周末也是实时到账的，五万以上可能要等到下一个工作日。"),
        _c("好的，知道了。"),
    ],
    [
        _c("还有，我儿子要开个银行卡，他十六岁，能自己去办吗？"),
        _a("未满十八岁的话，需要监护人陪同，带上您和孩子的身份证，还有户口本，到网点就可以办。"),
        _c("要交什么钱吗？"),
        _a("开卡是免费的，也没有年费。不过未成年人的卡，转账和消费都有一定的限额。"),
        _c("嗯，这样挺好，安全一点。"),
    ],
]

_LONG_CLOSING = [
    _c("好了，差不多就这些了，谢谢你啊。", 0.7),
    _a("不客气，这是我们应该做的。请问还有其他可以帮您的吗？"),
    _c("没有了，没有了。", 0.4),
    _a("好的，感谢您的来电，祝您生活愉快，再见！", 0.4),
]

# Kokoro reads this script at about 4.6 characters a second, punctuation pauses included.
_SECONDS_PER_CHAR = 0.215


def long_call(target_seconds: float) -> list[Line]:
    """A call of roughly ``target_seconds`` (from about 45 s): opening, as many different
    topics as bring it closest to the target, closing. The topics make about 7.5 minutes
    together; a longer call repeats them."""
    if target_seconds <= 0:
        raise ConfigError(f"target_seconds is {target_seconds}; expected a positive duration")
    lines = list(_LONG_OPENING)
    budget = target_seconds - estimate_seconds(_LONG_OPENING) - estimate_seconds(_LONG_CLOSING)
    used = 0.0
    i = 0
    # Add a topic while that lands nearer the target than stopping does.
    while estimate_seconds(_LONG_TOPICS[i % len(_LONG_TOPICS)]) / 2 < budget - used:
        topic = _LONG_TOPICS[i % len(_LONG_TOPICS)]
        lines.extend(topic)
        used += estimate_seconds(topic)
        i += 1
    return lines + _LONG_CLOSING


def estimate_seconds(lines: Sequence[Line]) -> float:
    """Rough spoken length of ``lines`` without synthesising them."""
    return sum(max(line.gap, 0.0) + len(line.text) * _SECONDS_PER_CHAR for line in lines)
