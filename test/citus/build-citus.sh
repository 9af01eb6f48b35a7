#!/bin/bash
# Build and install Citus (citusdata/citus, tag v13.2.2: the last release for PostgreSQL 15)
# from a source directory into the PostgreSQL that PG_CONFIG names.
#
#   test/citus/build-citus.sh SOURCE_DIR [PG_CONFIG]
#
# PG_CONFIG defaults to $PG_CONFIG, then /usr/lib/postgresql/15/bin/pg_config.
# Get the source as DEVELOPERS.md says (a checkout of tag v13.2.2, outside this repository).
# The script installs the Debian build dependencies (needs root and apt), renames Citus's
# compatibility copy of have_createdb_privilege (PostgreSQL 15.20's headers export a function
# of that name), configures, builds with `make -j2` under nice, and installs.
# It edits SOURCE_DIR in place; running it twice is harmless.
set -euo pipefail

src=${1:?usage: build-citus.sh SOURCE_DIR [PG_CONFIG]}
pgc=${2:-${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}}
[ -x "$pgc" ] || { echo "build-citus.sh: no pg_config at $pgc" >&2; exit 1; }
[ -f "$src/configure" ] && [ -f "$src/src/include/pg_version_compat.h" ] ||
	{ echo "build-citus.sh: $src is not a Citus source tree" >&2; exit 1; }
major=$("$pgc" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
[ "$major" = 15 ] || echo "build-citus.sh: warning: PostgreSQL $major (tested with 15)" >&2

deps="libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev libselinux1-dev
      libxslt1-dev libpam0g-dev libreadline-dev autoconf flex bison"
missing=$(for p in $deps; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

# PostgreSQL 15.20 exports have_createdb_privilege(); Citus defines a static inline copy of
# the same name for PostgreSQL < 16. Rename Citus's copy, its PG >= 16 alias and its caller.
compat=$src/src/include/pg_version_compat.h
caller=$src/src/backend/distributed/commands/serialize_distributed_ddls.c
sed -i -e 's/^have_createdb_privilege(void)$/citus_have_createdb_privilege(void)/' \
       -e 's/^#define have_createdb_privilege() have_createdb_privilege()$/#define citus_have_createdb_privilege() have_createdb_privilege()/' \
       "$compat"
sed -i -e 's/!have_createdb_privilege()/!citus_have_createdb_privilege()/' "$caller"
grep -q '^citus_have_createdb_privilege(void)$' "$compat" &&
	grep -q 'citus_have_createdb_privilege()' "$caller" ||
	{ echo "build-citus.sh: the have_createdb_privilege rename did not apply" >&2; exit 1; }

cd "$src"
PG_CONFIG=$pgc nice ./configure --quiet PG_CONFIG="$pgc"
nice make -s -j2
make -s install
echo "build-citus.sh: installed Citus into $("$pgc" --pkglibdir)"
