"""Escalation: the coordinator queue, deadlines, routing, claims, follow-up and e-mail."""
