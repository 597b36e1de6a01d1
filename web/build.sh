#!/bin/sh
# Builds the bundled web client: installs the pinned Converse.js from the
# committed lockfile and copies only the files it loads at run time into
# web/bundle/, which the Go package embeds.
#
# Usage: web/build.sh            (from anywhere; needs node and npm)
#        PARLEY_WEB_OFFLINE=1     use --offline (npm cache only)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! command -v npm >/dev/null 2>&1; then
	echo "web/build.sh: npm not found; the server will be built without the web client" >&2
	exit 1
fi

npm_flags="--ignore-scripts --no-audit --no-fund"
if [ "${PARLEY_WEB_OFFLINE:-}" = 1 ]; then
	npm_flags="$npm_flags --offline"
fi
# shellcheck disable=SC2086 # word splitting of the flags is intended
npm ci $npm_flags

src=node_modules/converse.js
dist=$src/dist
version=$(node -p "require('./$src/package.json').version")

out=bundle
tmp=$(mktemp -d "$here/.bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The ES module build and its stylesheet. converse.min.js resolves its
# lazily loaded chunks (translations, date locales) relative to its own URL
# (import.meta.url), so everything keeps dist/'s layout. Fonts are
# referenced from converse.min.css as webfonts/*.ttf; emoji.json, sounds/
# and images/ are fetched from the assets_path the page configures.
cp "$dist/converse.min.js" "$dist/converse.min.css" "$dist/emoji.json" "$tmp/"
for d in webfonts sounds images; do
	cp -R "$dist/$d" "$tmp/$d"
done
# Chunks without their source maps.
(cd "$dist" && find chunkjs -type f -name '*.js') | while read -r f; do
	mkdir -p "$tmp/$(dirname "$f")"
	cp "$dist/$f" "$tmp/$f"
done
rm -f "$tmp/sounds/README"
# Converse.js is MPL-2.0: its licence and copyright notice travel with it.
cp "$src/LICENSE" "$tmp/LICENSE"
cp "$src/COPYRIGHT" "$tmp/COPYRIGHT"
printf 'converse.js %s\n' "$version" >"$tmp/VERSION"

# Not copied, because Parley's page never loads them: the unminified
# bundle, source maps, website.css (the project's web site), manifest.json,
# shared-connection-worker.js (WebSocket only) and the OMEMO files
# (libomemo, curve25519 WebAssembly), OMEMO being disabled.
find "$out" -mindepth 1 ! -name README.txt -exec rm -rf {} + 2>/dev/null || true
cp -R "$tmp"/. "$out/"
echo "web/build.sh: Converse.js $version bundled in web/bundle ($(du -sh "$out" | cut -f1))"
