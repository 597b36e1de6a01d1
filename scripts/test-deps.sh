#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
# PostgreSQL (initdb, pg_ctl) for the PostgreSQL storage tests. It only
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

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${missing[*]}; install it (e.g. apt-get install ${missing[*]}) or the tests needing it skip" >&2
	exit 0
fi

echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
