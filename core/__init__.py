"""The vocabulary every layer shares, and nothing else: the error tree, the transcript and
call-analysis types, progress hooks, text normalisation, settings and how a store URL is
shown. ``core`` imports no other callqa package, so every package may import it and the
packages above it stay free of cycles (see tests/test_layers.py for the floors).
"""
