"""Background work: named jobs on an RQ queue (Redis), or in-process without Redis."""
