"""The scorecard store's read side: every query the console and the appraisal ask, behind
named functions that take a ``Scope`` and return plain frozen rows (no SQL outside storage/)."""
