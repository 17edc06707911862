#!/usr/bin/env bash
# Bundle Yjs (npm) into one static file for the minutes editor: minutes/static/minutes/vendor/yjs.js
# exposes a global `Y`. Nothing is loaded from a CDN at run time.
set -euo pipefail
cd "$(dirname "$0")"
YJS_VERSION=${YJS_VERSION:-13.6.27}
ESBUILD_VERSION=${ESBUILD_VERSION:-0.25.10}
out=static/minutes/vendor/yjs.js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  npm init -y >/dev/null
  npm install --silent --no-audit --no-fund "yjs@$YJS_VERSION" "esbuild@$ESBUILD_VERSION" >/dev/null
  echo 'import * as Y from "yjs"; window.Y = Y;' > entry.js
  npx esbuild entry.js --bundle --minify --format=iife --outfile=yjs.js --log-level=warning
)
mkdir -p "$(dirname "$out")"
cp "$work/yjs.js" "$out"
echo "minutes: vendored yjs@$YJS_VERSION -> minutes/$out"
