"""API v1: JSON over HTTP with bearer tokens, the same rules as the forms."""
