#!/usr/bin/env bash
# Serve kcc in production under gunicorn (what `make serve-prod` runs after installing):
# check the environment, apply the migrations, train the models the database lacks, then
# replace this shell by gunicorn, so SIGTERM from systemd or a container stops it gracefully.
# Needs DATABASE_URL and SECRET_KEY; HOST/PORT (127.0.0.1:8000), WEB_CONCURRENCY, KCC_THREADS
# and KCC_GRACEFUL_TIMEOUT tune it (docs/operations.md).
set -euo pipefail

cd "$(dirname "$0")/.."
bin="${KCC_VENV:-.venv}/bin"
export KCC_ENV=production

"$bin/python" -m kcc.operations.preflight
"$bin/flask" --app kcc db upgrade
"$bin/flask" --app kcc train --only-missing
exec "$bin/gunicorn" --config python:kcc.operations.gunicorn_conf
