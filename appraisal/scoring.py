"""Scoring one agent's month (§7.1, §7.2) from its raw counts: each KPI item 0-100 against
its target, items weighted inside their group, groups into the total. An item with no data
is left out of its group's weighting and says so; it is never a silent 100."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.policy import Policy
from storage.reads.appraisal import MonthInputs as MonthInputs  # the counts scored here

GROUPS = ("business", "service", "compliance")


def rate_score(value: float, target: float) -> float:
    """0-100: meeting the target earns 100, below it the score falls in proportion."""
    return round(100.0 * min(1.0, value / target), 1)


def _item(
    weight: float,
    value: float | None,
    target: float,
    score: float | None,
    inputs: Mapping[str, object],
    why: str,
    unit: str = "share",
) -> dict[str, Any]:
    return {
        "value": None if value is None else round(value, 4),
        "unit": unit,  # share (0-1), calls or failures: how to show value and target
        "target": target,
        "score": score,
        "weight": weight,
        "inputs": dict(inputs),
        "why": why,
        "left_out": score is None,
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rate_item(
    weight: float, part: int, whole: int, target: float, inputs: Mapping[str, object], what: str
) -> dict[str, Any]:
    value = _share(part, whole)
    if value is None:
        return _item(weight, None, target, None, inputs, f"no {what} this month: left out")
    score = rate_score(value, target)
    why = f"{part} of {whole} = {value:.1%} against a target of {target:.0%}: {score:g}"
    return _item(weight, value, target, score, inputs, why)


def score_items(inputs: MonthInputs, policy: Policy) -> dict[str, dict[str, dict[str, Any]]]:
    """Each group's items: value, target, score, weight, inputs and a sentence saying why."""
    return {
        "business": _business_items(inputs, policy),
        "service": _service_items(inputs, policy),
        "compliance": _compliance_items(inputs, policy),
    }


def _business_items(inputs: MonthInputs, policy: Policy) -> dict[str, dict[str, Any]]:
    t, w = policy.appraisal.targets, policy.appraisal.items
    volume = rate_score(inputs.calls, t.monthly_calls)
    return {
        "volume": _item(
            w.business.volume,
            inputs.calls,
            t.monthly_calls,
            volume,
            {"calls": inputs.calls},
            f"{inputs.calls} calls against a target of {t.monthly_calls}: {volume:g}",
            unit="calls",
        ),
        "accuracy": _rate_item(
            w.business.accuracy,
            inputs.accurate_calls,
            inputs.reviewed_calls,
            policy.accuracy_target,
            {"reviewed_calls": inputs.reviewed_calls, "accurate_calls": inputs.accurate_calls},
            "QA-reviewed calls",
        ),
        "enquiry_answer_rate": _rate_item(
            w.business.enquiry_answer_rate,
            inputs.enquiries_answered,
            inputs.enquiries,
            t.enquiry_answer_rate,
            {"enquiries": inputs.enquiries, "answered": inputs.enquiries_answered},
            "calls with an enquiry to answer",
        ),
    }


def _service_items(inputs: MonthInputs, policy: Policy) -> dict[str, dict[str, Any]]:
    t, w = policy.appraisal.targets, policy.appraisal.items
    return {
        "satisfaction": _rate_item(
            w.service.satisfaction,
            inputs.satisfied,
            inputs.surveys,
            policy.satisfaction_target,
            {"surveys": inputs.surveys, "satisfied": inputs.satisfied},
            "surveys",
        ),
        "response_time": _rate_item(
            w.service.response_time,
            inputs.answered_in_time,
            inputs.timed_calls,
            t.response_time,
            {
                "timed_calls": inputs.timed_calls,
                "answered_within_limit": inputs.answered_in_time,
                "answer_limit_s": policy.answer_limit_s,
            },
            "calls with a measured answer time",
        ),
        "attitude": _rate_item(
            w.service.attitude,
            inputs.calls - inputs.cold_calls,
            inputs.calls,
            t.attitude,
            {
                "calls": inputs.calls,
                # the key the scorecard API and earlier stored scorecards show
                "forbidden_language_calls": inputs.language_breach_calls,
                "negative_tone_calls": inputs.negative_tone_calls,
                "negative_share_limit": policy.sentiment.agent_negative_share_flag,
                "courteous_calls": inputs.calls - inputs.cold_calls,
            },
            "calls",
        ),
    }


def _compliance_items(inputs: MonthInputs, policy: Policy) -> dict[str, dict[str, Any]]:
    ap = policy.appraisal
    t, w = ap.targets, ap.items
    over = max(0, inputs.critical_failures - t.max_critical_failures)
    critical = max(0.0, 100.0 - ap.critical_failure_penalty * over)
    return {
        "adherence": _rate_item(
            w.compliance.adherence,
            inputs.rules_passed,
            inputs.rules_applicable,
            t.adherence,
            {
                "rules_applicable": inputs.rules_applicable,
                "rules_passed": inputs.rules_passed,
            },
            "applicable rule checks",
        ),
        "critical_failures": _item(
            w.compliance.critical_failures,
            inputs.critical_failures,
            t.max_critical_failures,
            critical,
            {"critical_failures": inputs.critical_failures},
            f"{inputs.critical_failures} failed critical rules, {t.max_critical_failures} "
            f"allowed, {ap.critical_failure_penalty:g} points off for each over: {critical:g}",
            unit="failures",
        ),
    }


def weighted(parts: Mapping[str, tuple[float | None, float]]) -> float | None:
    """The weighted mean of the parts that have a score (None where none has weight)."""
    scored = [(s, w) for s, w in parts.values() if s is not None and w > 0]
    total_weight = sum(w for _, w in scored)
    if not total_weight:
        return None
    return round(sum(s * w for s, w in scored) / total_weight, 1)


def score_month(inputs: MonthInputs, policy: Policy) -> dict[str, Any]:
    """Group scores, total and the whole explanation, from one agent's counts."""
    ap = policy.appraisal
    items = score_items(inputs, policy)
    groups: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        group_items = items[group]
        score = weighted({k: (v["score"], v["weight"]) for k, v in group_items.items()})
        left_out = [k for k, v in group_items.items() if v["left_out"]]
        groups[group] = {
            "score": score,
            "weight": getattr(ap.weights, group),
            "items": group_items,
            "left_out": left_out,
            "note": (
                f"{', '.join(left_out)} had no data and did not count; the other items' "
                "weights were scaled up to fill the group"
                if left_out
                else "every item had data"
            ),
        }
    total = weighted({g: (v["score"], v["weight"]) for g, v in groups.items()})
    total = 0.0 if total is None else total
    return {
        "groups": groups,
        "total": total,
        "standard": ap.standard,
        "meets_standard": total >= ap.standard,
        "coaching_threshold": ap.coaching_threshold,
        "policy": policy.label,
    }
