"""Flask-free text and machine-learning code: normalise, stem, classify, train, store.

Nothing here imports Flask or the database (tests/test_architecture.py checks), and nothing
happens at import time: word lists and models are read when a function first asks for them.
"""
