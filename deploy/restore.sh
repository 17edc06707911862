#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into an EMPTY database and files directory, then check
# it: file checksums, the audit chain (needs the same APP_KEY_FILE as the original servers).
#   DATABASE_URL=postgres://…/new_db PRIVATE_MEDIA_ROOT=/srv/…/private deploy/restore.sh /backup/2026-11-28
set -euo pipefail
src=${1:?usage: restore.sh SRC}
( cd "$src" && sha256sum --quiet --check SHA256SUMS )
pg_restore --no-owner --exit-on-error --dbname="${DATABASE_URL:?DATABASE_URL is required}" "$src/db.dump"
if [ -d "$src/private" ]; then
  mkdir -p "${PRIVATE_MEDIA_ROOT:?PRIVATE_MEDIA_ROOT is required}"
  cp -a "$src/private/." "$PRIVATE_MEDIA_ROOT/"
fi
"${PYTHON:-python}" manage.py audit_verify
echo "restored from $src"
