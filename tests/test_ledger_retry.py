"""A retry in the same process takes back its own claim (the failed attempt could not
release it because the store was down) instead of reporting the call busy."""

from __future__ import annotations

from flows import ledger
from flows.ledger import Action, Provenance
from storage.database import Store


def test_a_retry_takes_back_its_own_unreleased_claim(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'callqa.db'}")
    provenance = Provenance("whisper-base", "pack@1", "policy@1")
    me, other = ledger.worker_identity(), ledger.worker_identity()
    with store.session() as session:
        assert ledger.claim(session, "s3://b/a.wav", "v1", provenance, me)[0] is Action.PROCESS
    # the attempt failed and its release never reached the store: the claim is still ours
    with store.session() as session:
        assert ledger.claim(session, "s3://b/a.wav", "v1", provenance, me)[0] is Action.PROCESS
    with store.session() as session:  # another live worker in this process still waits
        assert ledger.claim(session, "s3://b/a.wav", "v1", provenance, other)[0] is Action.BUSY
    store.close()
