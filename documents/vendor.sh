#!/usr/bin/env bash
# Vendor pdf.js (npm package pdfjs-dist) into documents/static/documents/vendor/pdfjs/ (gitignored).
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")"
VERSION="${PDFJS_VERSION:-4.10.38}"
DEST="static/documents/vendor/pdfjs"
if [ -f "$DEST/VERSION" ] && [ "$(cat "$DEST/VERSION")" = "$VERSION" ] \
   && [ -f "$DEST/pdf.min.mjs" ] && [ -f "$DEST/pdf.worker.min.mjs" ]; then
  exit 0
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "pdfjs-dist@$VERSION" >/dev/null && tar -xzf pdfjs-dist-*.tgz)
mkdir -p "$DEST"
# The legacy build runs on older tablet browsers (Android WebView, iPadOS Safari 15).
SRC="$TMP/package/legacy/build"
[ -f "$SRC/pdf.min.mjs" ] || SRC="$TMP/package/build"
cp "$SRC/pdf.min.mjs" "$SRC/pdf.worker.min.mjs" "$DEST/"
cp "$TMP/package/LICENSE" "$DEST/LICENSE" 2>/dev/null || true
echo "$VERSION" > "$DEST/VERSION"
echo "vendored pdfjs-dist $VERSION into documents/$DEST"
