"""The made-up bank and the two speakers every call script is written with."""

from __future__ import annotations

from synth.calls import Line

BANK = "云川银行"


def agent(text: str, gap: float = 0.6) -> Line:
    """A line the agent says, ``gap`` seconds after the previous one."""
    return Line("agent", text, gap)


def customer(text: str, gap: float = 0.5) -> Line:
    """A line the customer says, ``gap`` seconds after the previous one (negative: they
    interrupt)."""
    return Line("customer", text, gap)
