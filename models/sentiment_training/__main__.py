"""Runs ``python -m models.sentiment_training`` (see ``models.sentiment_training.cli``)."""

import sys

from models.sentiment_training.cli import main

sys.exit(main())
