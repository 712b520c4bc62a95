#!/usr/bin/env bash
# The bounce_suppress demo, from a fresh Debian 12 + PostgreSQL 15:
#
#   bash test/demo.sh
#
# Installs what is missing (postgresql-server-dev-15, a compiler), builds and
# installs the extension, starts a private throwaway cluster as the postgres
# user, feeds it real-looking bounces (SMTP replies, a provider webhook, a
# bounce mail, a complaint), shows the suppressions and filters a send queue,
# then stops the cluster and removes it.  Set BS_KEEP=1 to keep the cluster's
# folder (it is stopped all the same).
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib.sh

bs_install_deps make gcc postgresql-server-dev-15
bs_say "building and installing bounce_suppress"
bs_build_install
WORK=$(mktemp -d /tmp/bounce_suppress-demo.XXXXXX)
chmod 755 "$WORK"
trap 'bs_cluster_stop; [ -n "${BS_KEEP:-}" ] || rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
bs_say "starting a throwaway cluster in $WORK"
BS_PORT=${BS_PORT:-54339} bs_cluster_start "$WORK/pg"
psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d postgres -f test/demo.sql
bs_say "done; stopping the cluster"
