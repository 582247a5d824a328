"""Complaints and owed answers as telephone recognition writes them (issue 9, tuning split
ua from its 8 kHz recordings): a comma or a question mark the recogniser puts after 怎么
must not hide the complaint, and an invitation to call back whose 的话 was not heard owes
nothing. Each call is whisper-base's transcript of the recording, as recognised."""

from __future__ import annotations

from core.transcript import Transcript
from rules.engine import evaluate

# (a = agent / c = customer, start s, end s, recognised text)
UA18_WRONG_TRANSFER_BLAME = (
    ("a", 0.81, 4.08, "您好,中月银行,请问有什么可以帮您?"),
    ("c", 4.79, 13.33, "我转将转出人了,转问快遗,你们银行怎么,都不提示一下,名字部队也能转过去,"),
    ("a", 14.02, 19.3, "回让你自己没核对清楚,短脏之前业面上都有显示的。"),
    ("c", 19.77, 21.45, "那我现在怎么办啊,"),
    ("a", 21.95, 24.56, "先说下请您和身份证候思维。"),
    ("c", 25.16, 26.94, "中海艳起气零死,"),
    ("a", 27.64, 31.69, "好可对了,我给您提交一个退回申请吧,可以吧。"),
    ("c", 32.23, 34.01, "可以刻意赶紧到,"),
    ("a", 34.69, 39.1, "退回申请,已经提交成功了,有结果会通知你的。"),
    ("c", 39.71, 41.09, "什么时候有结果,"),
    ("a", 41.82, 43.77, "这个说不好,等通知吧。"),
    ("c", 44.42, 45.1, "阿姨星堡。"),
    ("a", 45.9, 48.9, "还有别的事吗,没有的话感谢来点"),
)
UA45_LIMIT_CUT = (
    ("a", 0.81, 5.59, "您好,安兰宁航,公号1936,请问有什么可以帮你。"),
    ("c", 6.27, 13.51, "我的转仗额度怎么?突然变成五千了,今天要给工人发工资,转不出去,"),
    ("a", 14.17, 21.19, "5号意思,给您填麻烦了,我帮您查一下,麻烦说下姓名和身份证后思维。"),
    ("c", 21.61, 23.57, "庞大为五五三零,"),
    ("a", 24.27, 30.14, "红箭诊合时号了,缺失本调低了,拿我现在给您调回5万,可以吗?"),
    ("c", 30.67, 31.61, "可以快一点,"),
    ("a", 32.38, 36.52, "好的,已经调回来了,咱日转账额度现在15万。"),
    ("c", 37.0, 41.38, "那为什么会被调底,没人通知我啊?紧"),
    ("a", 41.06, 45.11, "这个远您我返会给相关部门会尽快处理的"),
    ("c", 45.86, 48.8, "快是什么时候,以后还会不会这样"),
    ("a", 49.5, 52.8, "这个我这边也说不好您多留意短信吧"),
    ("c", 53.49, 55.94, "行了行了,我先去短暂了"),
)
UA24_LOSS_OFFER_DECLINED = (
    ("a", 0.81, 5.29, "您好,这里是海川林星客服,请问有什么可以帮您。"),
    ("c", 6.0, 10.86, "你好,我那个卡脚不到了,不知道是不是掉了,"),
    ("a", 11.34, 13.56, "好的您是找不到哪一张卡呢?"),
    ("c", 13.98, 16.16, "为后发耳柳三的金融卡,"),
    ("a", 16.8, 25.26, "男性被刀用的话,我现在可以先帮您办临时刮事。刮事后卡,就暂时不能有,要办吗?"),
    ("c", 25.62, 30.52, "先不用,我觉得应该在家里,我回去找找,"),
    ("a", 31.18, 37.43, "好的,拿您找一招,找不到,随时打过来,我们24小时都能办刮事。"),
    ("c", 37.95, 38.97, "好谢谢你,"),
    ("a", 39.65, 41.71, "不客气,还有其他问题吗?"),
    ("c", 42.4, 43.02, "没有了"),
    ("a", 43.78, 47.26, "好的,谢谢您来点,希望您顺利找到再见"),
)


def _outcomes(call_id: str, recognised, pack) -> dict[str, str]:
    turns = [
        {"speaker": "agent" if who == "a" else "customer", "start": start, "end": end,
         "text": text, "channel": 0 if who == "a" else 1, "overlap": False,
         "speaker_label": "ch0" if who == "a" else "ch1"}
        for who, start, end, text in recognised
    ]  # fmt: skip
    transcript = Transcript.from_dict(
        {
            "call_id": call_id,
            "audio": {"duration": recognised[-1][2] + 1, "channels": 2, "sample_rate": 8000},
            "language": "zh",
            "model": "whisper-base",
            "roles": {"method": "metadata", "confidence": 1.0, "agent": "ch0"},
            "turns": turns,
        }
    )
    return {r.id: r.outcome for r in evaluate(transcript, pack)}


def test_a_comma_after_the_question_word_does_not_hide_the_complaint(pack):
    """你们银行怎么,都不提示一下: the bank blamed, as recognised. The complaint rules apply
    (no apology, no time) and the refund result owed is the complaint's, not a follow-up."""
    out = _outcomes("ua18-recognised", UA18_WRONG_TRANSFER_BLAME, pack)
    assert out["complaint_apology"] == "failed"
    assert out["complaint_time_commitment"] == "failed"
    assert out["followup_commitment"] == "not_applicable"


def test_a_question_mark_after_the_question_word_does_not_move_the_complaint(pack):
    """额度怎么?突然变成五千了 is the complaint the agent's 不好意思，给您添麻烦了 answers
    (recognised 5号意思,给您填麻烦了): the apology comes after it, not before."""
    out = _outcomes("ua45-recognised", UA45_LIMIT_CUT, pack)
    assert out["complaint_apology"] == "passed"
    assert out["complaint_time_commitment"] == "failed"


def test_an_invitation_to_call_back_owes_no_answer(pack):
    """找不到,随时打过来 (找不到的话随时打过来, the 的话 not heard): nothing is owed later."""
    out = _outcomes("ua24-recognised", UA24_LOSS_OFFER_DECLINED, pack)
    assert out["followup_commitment"] == "not_applicable"
