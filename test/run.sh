#!/usr/bin/env bash
# The whole bounce_suppress test suite, from a fresh Debian 12 + PostgreSQL 15:
#
#   bash test/run.sh
#
# Installs what is missing (postgresql-server-dev-15, libipc-run-perl,
# clang), builds and installs the extension, starts a private throwaway
# cluster as the postgres user, and runs, as postgres in a scratch copy of
# the tree:
#   - the plain-C unit tests under ASan+UBSan (address, classifier, reports)
#   - pg_regress (sql/*.sql against expected/*.out)
#   - the isolation specs (test/isolation)
#   - the TAP tests (test/t: crash, dump/restore, upgrade)
#   - a bounded libFuzzer run of every parser (FUZZ_SECONDS each)
#   - the corpus figures, when ../shared/corpus is there (printed, not judged)
# It stops the cluster and removes the scratch copy on exit, also on failure,
# and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
source test/lib.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0
failed=0
failures=()

bs_install_deps make gcc postgresql-server-dev-15 libipc-run-perl clang libclang-rt-14-dev python3 || exit 1

bs_say "building and installing"
bs_build_install || { echo "build failed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/bounce_suppress-test.XXXXXX)
cleanup() {
	bs_cluster_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$WORK"
# A copy of the tree that postgres may write to (pg_regress results, TAP data).
mkdir "$WORK/tree"
tar -c --exclude=./.git --exclude=./test/build --exclude=./results --exclude=./output_iso \
	--exclude=./tmp_check --exclude=./regression.diffs --exclude=./regression.out . |
	tar -x -C "$WORK/tree"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$WORK"

# count NAME OK|FAIL [N]: record the result of one stage of N tests
count() {
	local name=$1 ok=$2 n=${3:-1} bad=${4:-0}
	passed=$((passed + n - bad))
	failed=$((failed + bad))
	if [ "$ok" != OK ] && [ "$bad" -eq 0 ]; then failed=$((failed + 1)); fi
	[ "$ok" = OK ] || failures+=("$name")
}

bs_say "unit tests (ASan+UBSan)"
out=$(make -s -f test/standalone.mk unit 2>&1); rc=$?
echo "$out" | grep -Ev '^(cc|clang|mkdir)'
p=$(echo "$out" | awk '/^[0-9]+ passed, [0-9]+ failed$/ {s += $1} END {print s+0}')
f=$(echo "$out" | awk '/^[0-9]+ passed, [0-9]+ failed$/ {s += $3} END {print s+0}')
[ $rc -eq 0 ] && count unit OK "$p" "$f" || count unit FAIL "$p" "$f"

bs_say "starting a throwaway cluster"
bs_cluster_start "$WORK/pg" || exit 1

run_pg_make() {
	(cd "$WORK/tree" && bs_as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres \
		make -s PG_CONFIG="$PG_BIN/pg_config" "$@")
}

bs_say "pg_regress"
out=$(run_pg_make installcheck-regress 2>&1); rc=$?
echo "$out"
n=$(echo "$out" | grep -cE '\.\.\. (ok|FAILED)|^(ok|not ok) [0-9]' || true)
bad=$(echo "$out" | grep -cE '\.\.\. FAILED|^not ok' || true)
if [ $rc -eq 0 ]; then count regress OK "$n"; else
	count regress FAIL "$n" "$bad"
	cat "$WORK/tree/regression.diffs" 2>/dev/null | head -300
fi

bs_say "isolation"
out=$(run_pg_make installcheck-isolation 2>&1); rc=$?
echo "$out"
n=$(echo "$out" | grep -cE '\.\.\. (ok|FAILED)|^(ok|not ok) [0-9]' || true)
bad=$(echo "$out" | grep -cE '\.\.\. FAILED|^not ok' || true)
if [ $rc -eq 0 ]; then count isolation OK "$n"; else
	count isolation FAIL "$n" "$bad"
	cat "$WORK/tree/output_iso/regression.diffs" 2>/dev/null | head -300
fi

bs_say "TAP"
out=$(run_pg_make installcheck-tap 2>&1); rc=$?
echo "$out"
n=$(echo "$out" | sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\).*/\1/p' | tail -1)
if [ $rc -eq 0 ]; then count tap OK "${n:-0}"; else
	count tap FAIL "${n:-0}"
	for f in "$WORK"/tree/tmp_check/log/regress_log_*; do [ -f "$f" ] && tail -50 "$f"; done
fi

bs_say "fuzzing every parser for ${FUZZ_SECONDS}s each (ASan+UBSan)"
out=$(make -s -f test/standalone.mk fuzz-short FUZZ_SECONDS="$FUZZ_SECONDS" 2>&1); rc=$?
echo "$out" | grep -Ev '^(clang|mkdir)'
n=$(echo "$out" | grep -c '^== fuzz' || true)
[ $rc -eq 0 ] && ! echo "$out" | grep -q 'ERROR: \|SUMMARY: ' && count fuzz OK "$n" || count fuzz FAIL "$n"

if [ -d ../shared/corpus ]; then
	bs_say "agreement with Sisimai on ../shared/corpus (figures only)"
	for s in test/eval/*.py; do [ -f "$s" ] && python3 "$s" 2>&1 | tail -25; done
fi

bs_cluster_stop
echo
echo "took ${SECONDS}s"
[ ${#failures[@]} -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#failures[@]} -eq 0 ]
