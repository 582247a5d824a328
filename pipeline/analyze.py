"""One transcript in, one call analysis out: redaction first (only redacted text is kept
or shown), then the rule pack, sentiment, service metrics and the score."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.analysis import CallAnalysis
from core.call_metadata import CallMetadata
from core.transcript import Transcript

if TYPE_CHECKING:
    from models.sentiment import SentimentModel
    from pipeline.drivers import DriverClassifier
    from rules.pack import RulePack
    from rules.policy import Policy


def load_analyser(
    pack_path: str | Path | None = None,
    policy_path: str | Path | None = None,
    sentiment_model: str = "default",
) -> Analyser:
    """The rule pack (the policy's answer limit applied to it), the policy, the sentiment model."""
    pack, policy = load_rules(pack_path, policy_path)
    return analyser_for(pack, policy, sentiment_model)


def analyser_for(
    pack: RulePack, policy: Policy, sentiment_model: str = "default", drivers: bool = True
) -> Analyser:
    """An analyser for rules already loaded (so that what a worker records as provenance and
    what it analyses with are the same files, read once); ``drivers``: classify why the
    customer called (rules/drivers.yaml)."""
    from models.sentiment import SentimentConfig, load_sentiment
    from pipeline.drivers import load_classifier

    sentiment = load_sentiment(SentimentConfig(model=sentiment_model))
    return Analyser(pack, policy, sentiment, load_classifier() if drivers else None)


def load_rules(
    pack_path: str | Path | None = None, policy_path: str | Path | None = None
) -> tuple[RulePack, Policy]:
    """The rule pack as analysis uses it (the policy's answer limit applied) and the policy:
    enough to know what an analysis would record as its provenance, without any model."""
    from rules.pack_loading import default_pack_path, load_pack
    from rules.policy import load_policy

    policy = load_policy(policy_path)
    pack = load_pack(pack_path or default_pack_path())
    return pack.with_settings(answer_limit_s=policy.answer_limit_s), policy


@dataclass(frozen=True)
class Analyser:
    """What analysing a call needs, loaded once: the rule pack, the policy, the sentiment model."""

    pack: RulePack
    policy: Policy
    sentiment: SentimentModel
    drivers: DriverClassifier | None = None

    def analyse(
        self, transcript: Transcript, metadata: CallMetadata | None = None
    ) -> tuple[Transcript, CallAnalysis]:
        """Returns the redacted transcript (what may be stored) and its analysis;
        ``metadata`` gives the rules what the recorder knows (``ring_time_s``)."""
        from pipeline.metrics import service_metrics
        from pipeline.redact import redact_transcript
        from pipeline.scorecard import score_call
        from pipeline.sentiment import call_sentiment
        from rules.engine import evaluate
        from rules.role_review import review_if_roles_unsure

        redacted, redactions = redact_transcript(transcript)
        results = evaluate(redacted, self.pack, metadata=metadata.for_rules() if metadata else {})
        # agent and customer perhaps swapped: every rule may have listened to the wrong side
        results = review_if_roles_unsure(results, transcript.roles, self.pack.settings.review_below)
        critical = set(self.policy.call_score.critical_rules)
        results = tuple(
            r.model_copy(update={"critical": r.critical or r.id in critical}) for r in results
        )
        sentiment = call_sentiment(redacted, self.sentiment)
        metrics = service_metrics(  # on the original: a placeholder is not what was said
            transcript, ring_time_s=metadata.ring_time_s if metadata else None
        )
        score, breakdown, flags = score_call(results, metrics, sentiment, self.policy)
        analysis = CallAnalysis(
            call_id=transcript.call_id,
            rules=results,
            sentiment=sentiment,
            metrics=metrics,
            score=score,
            score_breakdown=breakdown,
            flags=flags,
            redactions=redactions,
            rule_pack=self.pack.label,
            policy=self.policy.label,
            drivers=self.drivers.classify_transcript(redacted) if self.drivers else None,
        )
        return redacted, analysis
