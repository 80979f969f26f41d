"""Running kcc in production: health and readiness probes, backups and restores."""
