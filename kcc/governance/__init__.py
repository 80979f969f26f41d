"""Accountability for personal data: the audit log and retention (purging what has expired)."""
