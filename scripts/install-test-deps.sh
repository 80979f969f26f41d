#!/usr/bin/env bash
# Install what the test suite needs from the operating system: Debian's Chromium (browser
# tests), PostgreSQL (the second database run), Dovecot (the IMAP server the e-mail intake
# tests poll) and Redis (the background-job queue), unless they are already there.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ -z "${TEST_POSTGRES_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# pg_dump and pg_restore for the backup tests, also when TEST_POSTGRES_URL names a server.
command -v pg_restore >/dev/null 2>&1 || missing+=(postgresql-client)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
# Redis: the queue the background-job tests and the two-server test use (tests/redis_server.py).
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages ..."
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" fonts-dejavu-core >/dev/null
fi
