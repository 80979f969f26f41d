#!/usr/bin/env bash
# Back up the database named by DATABASE_URL (what `make backup` runs):
# PostgreSQL with pg_dump --format=custom into backups/kcc-YYYYmmdd-HHMMSS.dump, SQLite with
# its online backup API into backups/kcc-YYYYmmdd-HHMMSS.sqlite (times in UTC). Run it with
# the app's own environment (KCC_ENV, DATABASE_URL, SECRET_KEY). KCC_BACKUP_DIR picks another
# folder; extra arguments go to `flask --app kcc backup`, e.g. --keep-days 30.
set -euo pipefail

cd "$(dirname "$0")/.."
bin="${KCC_VENV:-.venv}/bin"
exec "$bin/flask" --app kcc backup "$@"
