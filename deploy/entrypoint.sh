#!/bin/sh
# Container entry point: secrets from files, then the process.
#
# ARC's own secrets are read by settings through ARC_*_FILE. The database and
# Redis passwords are not part of ARC's settings: PostgreSQL's goes to libpq's
# standard PGPASSWORD (DATABASE_URL carries no password), Redis's into
# REDIS_URL. Generate both as hex (openssl rand -hex 24) so no URL escaping is needed.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi
if [ -z "${REDIS_URL:-}" ] && [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
    REDIS_URL="redis://:$(cat "$REDIS_PASSWORD_FILE")@${REDIS_HOST:-redis}:${REDIS_PORT:-6379}"
    export REDIS_URL
fi
exec "$@"
