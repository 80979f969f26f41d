#!/usr/bin/env bash
# Restore a backup into a NEW, EMPTY database (what `make restore BACKUP=...` runs):
#   createdb -h HOST -U USER kcc_restored
#   DATABASE_URL=postgresql://USER@HOST:5432/kcc_restored scripts/restore.sh backups/kcc-....dump
# PostgreSQL backups go in with pg_restore in one transaction (all or nothing); a database
# that already holds tables is refused, so a restore never overwrites live data. Run it with
# the app's own environment (KCC_ENV, SECRET_KEY); then point the app at the restored database.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "gebruik: DATABASE_URL=... $0 BACKUPBESTAND" >&2
  exit 2
fi
backup="$(realpath "$1")"
cd "$(dirname "$0")/.."
bin="${KCC_VENV:-.venv}/bin"
exec "$bin/flask" --app kcc restore "$backup"
