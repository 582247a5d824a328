"""The labelled calls for driver accuracy, as utterance lists: dev (tests/data/eval), the
tuning scripts calls_ua (tests/data/eval_audio) and calls_uc (tests/data/eval_tune), and the
held-out calls_ub (tests/data/eval_audio)."""

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
    """calls_ua or calls_ub (held out), or calls_uc (its labels as the taxonomy's drivers)."""
    folder = TUNE if name == "uc" else SCRIPTS
    data = yaml.safe_load((folder / f"calls_{name}.yaml").read_text(encoding="utf-8"))["calls"]
    calls = {}
    for call_id, call in data.items():
        t = 0.0
        turns = []
        for line in call["lines"]:
            turns.append(("agent" if line["s"] == "a" else "customer", t, line["t"]))
            t += 1.0 + len(line["t"]) / 4.5
        calls[call_id] = {
            "turns": turns,
            "driver": UC_DRIVERS[call["driver"]] if name == "uc" else call.get("driver"),
            "complaint": call["outcomes"]["complaint_apology"] != "not_applicable",
        }
    return calls
