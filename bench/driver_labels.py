"""The labelled calls for driver accuracy, as utterance lists: dev (tests/data/eval), the
tuning scripts calls_ua (tests/data/eval_audio), calls_uc and calls_ud (tests/data/eval_tune),
and the held-out calls_ub (tests/data/eval_audio)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "eval"
SCRIPTS = ROOT / "tests" / "data" / "eval_audio"
TUNE = ROOT / "tests" / "data" / "eval_tune"

# calls_uc.yaml was labelled by a session that had not read the taxonomy, in its own words:
# each of its labels as the taxonomy's driver (decided from the label and the taxonomy's
# definitions, not from what the classifier says)
UC_DRIVERS = {
    "fees": "fees",
    "wrong_deduction": "card_fraud_dispute",  # a card payment taken twice
    "complaint_service": "service_complaint",
    "mobile_app_fault": "app_fault",
    "marketing_calls": "marketing_calls",
    "atm_card_retained": "cash_atm",
    "card_application_status": "card_services",  # a new card not yet issued
    "loan": "loans",
    "interest_charge": "card_bill_repayment",  # interest on the credit-card bill
    "complaint_misselling": "wealth",  # a fund sold as a deposit
    "insurance_missold": "wealth",  # an insurance product sold with the card
    "credit_limit": "credit_limit",
    "online_banking_login": "password_login",
    "card_locked": "password_login",  # the PIN locked after wrong tries
    "cash_withdrawal": "deposits",  # a large cash withdrawal at a branch
    "fx_rate": "deposits",
    "billing_date": "card_bill_repayment",
    "bill_instalment": "card_bill_repayment",
    "autopay": "card_bill_repayment",
    "deposit_rate": "deposits",
    "pension_deposit": "deposits",
    "balance_enquiry": "deposits",  # has the salary arrived
    "third_party_enquiry": "deposits",  # a relative's balance
    "card_overseas_use": "card_services",
    "card_activation": "card_services",
    "wealth_product": "wealth",
    "account_opening": "account_changes",  # a type-II account
    "reward_points": "card_benefits",
    "transfer_how_to": "transfer_remittance",
    "cross_border_remittance": "transfer_remittance",
    "transfer_not_received": "transfer_remittance",
    "wrong_transfer": "transfer_remittance",
    "transfer_limit": "transfer_limit",
    "withdrawal_limit": "transfer_limit",  # the daily cash limit lowered
    "card_fraud": "card_fraud_dispute",
    "card_loss": "card_loss_freeze",
    "card_freeze": "card_loss_freeze",
}


# calls_ud.yaml's writer labelled drivers in 11 words of their own, some broader than one
# taxonomy driver. A label that names one driver maps to it; a broader one (and `other`,
# which means "none of the writer's 11", not "none of the taxonomy's") is decided per call
# in UD_CALLS from the call's content, its `why` and the taxonomy's definitions (never from
# what the classifier says). None: no driver of the taxonomy covers the call, so the right
# answer is no driver (the call goes to clustering).
UD_DRIVERS = {
    "card_loss_freeze": "card_loss_freeze",
    "transfer_limits": "transfer_limit",
    "loans": "loans",
    "fees": "fees",  # SMS, management, transfer and FX-cash fees: "annual, account, service"
}
UD_CALLS: dict[str, str | None] = {
    # account_opening_closing
    "ud21": "account_changes",  # closing a savings card
    "ud29": "card_services",  # activating a new credit card ("card activation")
    "ud43": "account_changes",  # opening a child's account (as uc's account_opening)
    # branch_hours: "deposits, certificates and withdrawals" does not cover opening hours
    "ud13": "service_complaint",  # a complaint about being turned away at a branch
    "ud34": None,  # is the branch open on Saturday
    "ud42": None,  # are branches open at Spring Festival
    # complaint_service
    "ud01": "service_complaint",  # hotline calls dropped (the transfer only looked up)
    "ud02": "service_complaint",  # a rude teller
    "ud05": "cash_atm",  # an ATM kept the card ("ATM retained cards and cash errors")
    "ud09": "marketing_calls",  # daily sales calls, do-not-call list
    # credit_card_bill_instalments
    "ud06": "card_bill_repayment",  # interest for repaying a day late
    "ud10": "credit_limit",  # the credit limit cut from 50k to 10k
    "ud19": "card_bill_repayment",
    "ud23": "card_bill_repayment",  # how much to repay this month
    "ud26": "card_bill_repayment",  # autopay
    "ud36": "card_fraud_dispute",  # an unknown charge on the bill ("disputed transactions")
    "ud49": "card_bill_repayment",  # the bill sent to the old address
    # deposits_wealth
    "ud07": "wealth",  # a fund sold as capital-protected
    "ud15": "deposits",  # time-deposit and certificate rates
    "ud24": "deposits",  # a time deposit's automatic renewal cancelled
    "ud32": "wealth",  # a fund redeemed
    # online_banking_login
    "ud08": "app_fault",  # the app crashes ("mobile and online banking faults")
    "ud20": "password_login",
    "ud35": "password_login",  # a card PIN locked (as uc's card_locked)
    "ud45": "password_login",  # face-ID sign-in on a new phone
    "ud46": "password_login",  # no one-time codes, cannot sign in
    # other
    "ud04": "transfer_remittance",  # money transferred to the wrong account
    "ud16": "card_fraud_dispute",  # a caller posing as the bank ("impersonation, fraud")
    "ud30": "transfer_remittance",  # a SWIFT remittance not received, traced
    "ud31": "account_changes",  # the registered phone number changed
    "ud37": "deposits",  # which day the pension arrives
    "ud47": "card_services",  # card use abroad enabled
    "ud50": "deposits",  # has the salary arrived
}


def ud_driver(call_id: str, label: str) -> str | None:
    """A calls_ud call's driver: its label's, or decided for the call (UD_CALLS)."""
    short = call_id.split("-")[0]
    if short in UD_CALLS:
        return UD_CALLS[short]
    if label not in UD_DRIVERS:
        raise KeyError(f"calls_ud {call_id}: label {label!r} has no driver; add it to UD_CALLS")
    return UD_DRIVERS[label]


def dev_calls() -> dict[str, dict[str, Any]]:
    labels = yaml.safe_load((DEV / "labels.yaml").read_text(encoding="utf-8"))["calls"]
    calls = {}
    for call_id, label in labels.items():
        doc = json.loads((DEV / "calls" / f"{call_id}.json").read_text(encoding="utf-8"))
        calls[call_id] = {
            "turns": [(t["speaker"], t["start"], t["text"]) for t in doc["turns"]],
            "driver": label.get("driver"),
            "complaint": label["outcomes"]["complaint_apology"] != "not_applicable",
        }
    return calls


def script_calls(name: str) -> dict[str, dict[str, Any]]:
    """calls_ua or calls_ub (held out), or calls_uc and calls_ud (their labels as the
    taxonomy's drivers)."""
    folder = TUNE if name in ("uc", "ud") else SCRIPTS
    data = yaml.safe_load((folder / f"calls_{name}.yaml").read_text(encoding="utf-8"))["calls"]
    calls = {}
    for call_id, call in data.items():
        t = 0.0
        turns = []
        for line in call["lines"]:
            turns.append(("agent" if line["s"] == "a" else "customer", t, line["t"]))
            t += 1.0 + len(line["t"]) / 4.5
        if name == "uc":
            driver = UC_DRIVERS[call["driver"]]
        elif name == "ud":
            driver = ud_driver(call_id, call["driver"])
        else:
            driver = call.get("driver")
        calls[call_id] = {
            "turns": turns,
            "driver": driver,
            "complaint": call["outcomes"]["complaint_apology"] != "not_applicable",
        }
    return calls
