#!/usr/bin/env bash
# Back up the database and the private files into DEST (a directory): one consistent pg_dump
# (custom format) and a copy of PRIVATE_MEDIA_ROOT. The app key file is NOT copied: keep it apart
# (deploy/README.md). With STORAGE_URL set, back the bucket up with `rclone sync` instead.
#   DATABASE_URL=postgres://… PRIVATE_MEDIA_ROOT=/srv/meetingroom/var/private deploy/backup.sh /backup/2026-11-28
set -euo pipefail
dest=${1:?usage: backup.sh DEST}
mkdir -p "$dest"
pg_dump --format=custom --no-owner --file="$dest/db.dump" "${DATABASE_URL:?DATABASE_URL is required}"
if [ -d "${PRIVATE_MEDIA_ROOT:-}" ]; then
  mkdir -p "$dest/private"
  cp -a "$PRIVATE_MEDIA_ROOT/." "$dest/private/"
fi
( cd "$dest" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS )
echo "backup written to $dest"
