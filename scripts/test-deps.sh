#!/usr/bin/env bash
# Installs what the test suite needs that a Go toolchain lacks, when it is
# missing: PostgreSQL (initdb, pg_ctl) for the PostgreSQL storage tests,
# Chromium and Node.js/npm for the browser and Strophe.js tests (Debian
# packages), then the tests' npm packages from their committed lockfiles. It only
# installs when running as root with apt-get available; otherwise it says
# what is missing and the tests that need it skip (or fail when
# PARLEY_REQUIRE_POSTGRES=1).
set -euo pipefail

missing=()

have_postgres() {
	command -v initdb >/dev/null 2>&1 && return 0
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
have_postgres || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

# npm_install installs the pinned npm packages of each test directory.
npm_install() {
	command -v npm >/dev/null 2>&1 || return 0
	local d
	for d in test/web test/strophe; do
		[ -f "$d/package-lock.json" ] || continue
		echo "test-deps: npm ci in $d" >&2
		(cd "$d" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
	done
}

if [ ${#missing[@]} -eq 0 ]; then
	npm_install
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${missing[*]}; install it (e.g. apt-get install ${missing[*]}) or the tests needing it skip" >&2
	npm_install
	exit 0
fi

echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_install
