"""Webhooks: signed HTTPS notifications of kcc events to endpoints administrators register."""
