"""Insight: the crisis timeline (measures and events); dashboards and signals follow."""
