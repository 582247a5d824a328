"""A call whose agent and customer were told apart with low confidence goes to review.

Every rule listens to one side (the agent's greeting, the customer's consent, the agent's
forbidden words), so when the sides may be swapped (a bare 喂 opening gives role
attribution almost nothing to go on) every outcome may be judged on the wrong side: a
swapped call reads as an agent who never greeted and a customer who explained the risks.
Such outcomes are ``needs_review``, leaning to what the rules found, and say why.

Only attributions judged from what was said (or guessed from who spoke first) can be
unsure; a channel fixed by configuration or the recorder's metadata is not.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis import Evidence, RuleResult
from core.transcript import RoleEvidence

JUDGED_METHODS = frozenset({"content", "first_speaker", "single_speaker"})
"""Role attributions that are a judgement, with a confidence that may be low."""


def roles_unsure(roles: RoleEvidence | None, review_below: float) -> bool:
    """Whether the agent may have been taken for the customer: a judged attribution less
    confident than the pack's ``review_below``."""
    return roles is not None and roles.method in JUDGED_METHODS and roles.confidence < review_below


def review_if_roles_unsure(
    results: Sequence[RuleResult], roles: RoleEvidence | None, review_below: float
) -> tuple[RuleResult, ...]:
    """The results unchanged when the roles are sure; otherwise each one ``needs_review``
    (leaning to its outcome), no more confident than the roles, with the reason first."""
    if roles is None or not roles_unsure(roles, review_below):
        return tuple(results)
    why = _why(roles)
    note = Evidence(turn=None, text=why)
    return tuple(
        result.model_copy(
            update={
                "outcome": "needs_review",
                "leaning": result.leaning if result.outcome == "needs_review" else result.outcome,
                "confidence": min(result.confidence, roles.confidence),
                "reason": f"needs review ({why}): {result.reason}",
                "evidence": (note, *result.evidence),
            }
        )
        for result in results
    )


def _why(roles: RoleEvidence) -> str:
    how = {
        "content": "from what each side said",
        "first_speaker": "by who spoke first, nothing said being telling",
        "single_speaker": "with only one speaker heard",
    }[roles.method]
    detail = f"; {roles.detail}" if roles.detail else ""
    return (
        f"agent and customer told apart {how} with confidence {roles.confidence:.2f}"
        f" (agent: {roles.agent or 'none'}{detail}), so the sides may be swapped"
    )
