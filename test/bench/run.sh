#!/usr/bin/env bash
# The bounce_suppress benchmarks, from a fresh Debian 12 + PostgreSQL 15:
#
#   bash test/bench/run.sh                      # full sizes (about 25 minutes)
#   BENCH_SCALE=small bash test/bench/run.sh    # quick: smaller sizes, a few minutes
#
# Installs what is missing, builds and installs the extension, starts a
# throwaway cluster (port BS_PORT, default 54345, in its own directory under
# /tmp), loads the data, and runs every benchmark against its baseline in the
# same run: the two sides alternate (A B, B A, ...) for BENCH_ROUNDS rounds
# and the table shows the medians and their ratio.  Both sides of a ratio run
# in the same cluster with the same settings (printed with the table).  The
# cluster is stopped and removed on exit.  Nothing here is a test: targets
# are reported, never asserted.
#
# Environment: BENCH_SCALE=small|full, BENCH_ROUNDS (default 5; 3 for the
# bulk loads), BENCH_PGBENCH_SECONDS (per pgbench run), BENCH_OUT (a file to
# which the results table is also written), BS_KEEP=1 (keep the cluster dir).
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib.sh

SCALE=${BENCH_SCALE:-full}
if [ "$SCALE" = small ]; then
	N_EVENTS=100000 N_QUEUE=100000 N_SUPP=100000 N_SCALE_EXTRA=900000
	N_REPLIES=200000 MEM_CLASSIFY=1000000 MEM_INGEST=100000 MEM_CHUNK=10000
	PGB_SECONDS=${BENCH_PGBENCH_SECONDS:-5} ROUNDS=${BENCH_ROUNDS:-3} BULK_ROUNDS=${BENCH_ROUNDS:-3}
else
	N_EVENTS=1000000 N_QUEUE=1000000 N_SUPP=1000000 N_SCALE_EXTRA=9000000
	N_REPLIES=1000000 MEM_CLASSIFY=10000000 MEM_INGEST=1000000 MEM_CHUNK=10000
	PGB_SECONDS=${BENCH_PGBENCH_SECONDS:-20} ROUNDS=${BENCH_ROUNDS:-5} BULK_ROUNDS=${BENCH_ROUNDS:-3}
fi
MEM_CLASSIFY_LINE="not run" MEM_INGEST_LINE="not run"
ONLY=,${BENCH_ONLY:-queue,guard,classify,bulk,single,memory},
want() { [[ $ONLY == *,$1,* ]]; }
POOL=100000          # single-event ingest: addresses drawn from this many
export BS_PORT=${BS_PORT:-54345}

SETTINGS=(
	"shared_buffers = 4GB"
	"work_mem = 256MB"
	"maintenance_work_mem = 1GB"
	"synchronous_commit = off"
	"max_parallel_workers_per_gather = 0"
	"jit = off"
	"autovacuum = off"
	"max_wal_size = 20GB"
	"checkpoint_timeout = 1h"
	"wal_level = minimal"
	"max_wal_senders = 0"
)

bs_install_deps make gcc postgresql-15 postgresql-server-dev-15 postgresql-client-15 || exit 1
bs_say "building and installing"
bs_build_install || { echo "build failed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/bounce_suppress-bench.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	bs_cluster_stop
	rm -rf "$WORK"
}
bs_say "starting a throwaway cluster on port $BS_PORT ($SCALE sizes)"
trap cleanup EXIT
trap 'exit 130' INT TERM
bs_cluster_start "$WORK/pg" "${SETTINGS[@]}" || exit 1
mkdir "$WORK/files" && chown postgres: "$WORK/files"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# ms DB SQL: run SQL (psql script text), print the time of its last statement in ms.
ms() {
	local out
	out=$(printf '%s\n' '\timing on' "$2" | "${PSQL[@]}" -d "$1" 2>&1) || {
		echo "$out" >&2
		echo "benchmark statement failed in $1: $2" >&2
		touch "$WORK/failed"
		exit 1
	}
	echo "$out" | awk '/^Time: / {t = $2} END {print t}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
sql() { "${PSQL[@]}" -d "$1" -c "$2" || exit 1; }
val() { "${PSQL[@]}" -At -d "$1" -c "$2" || exit 1; }

RESULTS=()   # name|A median|B median|unit|ratio|target|verdict
# record NAME UNIT TARGET A-values... -- B-values...: ratio A/B (for "tps" B/A: slowdown)
record() {
	local name=$1 unit=$2 target=$3
	shift 3
	[ -e "$WORK/failed" ] && exit 1
	local a=() b=() side=a v
	for v in "$@"; do
		if [ "$v" = -- ]; then side=b; continue; fi
		if [ $side = a ]; then a+=("$v"); else b+=("$v"); fi
	done
	local ma mb ratio verdict
	ma=$(median "${a[@]}")
	mb=$(median "${b[@]}")
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", a / b}')
	case $target in
		'>='*) verdict=$(awk -v r="$ratio" -v t="${target#>=}" 'BEGIN {print (r >= t) ? "met" : "MISSED"}') ;;
		'<='*) verdict=$(awk -v r="$ratio" -v t="${target#<=}" 'BEGIN {print (r <= t) ? "met" : "MISSED"}') ;;
		*) verdict="report" ;;
	esac
	RESULTS+=("$name|$ma|$mb|$unit|$ratio|$target|$verdict")
	printf '    %-58s A %s B %s %s -> %s× (%s) [A: %s | B: %s]\n' "$name" "$ma" "$mb" "$unit" "$ratio" "$verdict" "${a[*]}" "${b[*]}"
}

# alternate N A-SQL B-SQL DB-A DB-B PREP-A PREP-B: run both N times, A B / B A ..., print "A... -- B..."
alternate() {
	local n=$1 qa=$2 qb=$3 dba=$4 dbb=$5 prepa=${6:-} prepb=${7:-} i ta=() tb=()
	for ((i = 1; i <= n; i++)); do
		if ((i % 2)); then
			ta+=("$(ms "$dba" "$prepa
$qa")")
			tb+=("$(ms "$dbb" "$prepb
$qb")")
		else
			tb+=("$(ms "$dbb" "$prepb
$qb")")
			ta+=("$(ms "$dba" "$prepa
$qa")")
		fi
	done
	echo "${ta[*]} -- ${tb[*]}"
}

# ---------------------------------------------------------------- data
bs_say "loading data"
t0=$SECONDS
for db in bench_ingest bench_queue bench_scale; do sql postgres "CREATE DATABASE $db"; done
"${PSQL[@]}" -d bench_ingest -f test/bench/common.sql -v n_events=$N_EVENTS -f test/bench/ingest.sql >/dev/null || exit 1
if [ -f ../shared/corpus/smtp_replies.tsv ]; then
	REPLY_SOURCE="the $(($(wc -l <../shared/corpus/smtp_replies.tsv) - 1)) replies of ../shared/corpus/smtp_replies.tsv"
	tail -n +2 ../shared/corpus/smtp_replies.tsv | cut -f1 | sed 's/\\/\\\\/g' |
		"${PSQL[@]}" -d bench_ingest -c "COPY bench.reply_corpus (diag) FROM STDIN" || exit 1
else
	REPLY_SOURCE="the $(val bench_ingest "SELECT count(*) FROM bench.diags") built-in replies of test/bench/common.sql"
	sql bench_ingest "INSERT INTO bench.reply_corpus SELECT diag FROM bench.diags"
fi
"${PSQL[@]}" -d bench_ingest >/dev/null <<EOF || exit 1
\set ON_ERROR_STOP 1
CREATE TABLE bench.replies AS
SELECT c.diag FROM generate_series(1, $N_REPLIES) g
  JOIN (SELECT row_number() OVER () - 1 AS i, diag FROM bench.reply_corpus) c
    ON c.i = g % (SELECT count(*) FROM bench.reply_corpus);
COPY (SELECT project, kind, address, bounce_type, diagnostic, message_id, provider, provider_event_id, feedback_type, occurred_at
        FROM bench.src_events) TO '$WORK/files/events.copy';
VACUUM ANALYZE;
EOF
"${PSQL[@]}" -d bench_queue -f test/bench/common.sql -v n_queue=$N_QUEUE -v n_supp=$N_SUPP -v n_supp_extra=0 \
	-v with_plain=true -f test/bench/queue.sql -c 'VACUUM ANALYZE' >/dev/null || exit 1
"${PSQL[@]}" -d bench_scale -f test/bench/common.sql -v n_queue=$N_QUEUE -v n_supp=$N_SUPP -v n_supp_extra=$N_SCALE_EXTRA \
	-v with_plain=false -f test/bench/queue.sql -c 'VACUUM ANALYZE' >/dev/null || exit 1
echo "    loaded in $((SECONDS - t0)) s"
# Read every table once so both sides start from warm shared buffers.
for db in bench_ingest bench_queue bench_scale; do
	val "$db" "SELECT count(*) FROM (SELECT bench.pg_prewarm(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	            WHERE n.nspname IN ('bench', 'bounce_suppress') AND c.relkind IN ('r', 'i')) p" >/dev/null
done

EVENT_COLS="project, kind, address, bounce_type, diagnostic, message_id, provider, provider_event_id, feedback_type, occurred_at"
RESET_EVENTS="TRUNCATE bounce_suppress.events, bounce_suppress.suppressions, bounce_suppress.suppression_log;
CHECKPOINT;"
RESET_PLAIN="TRUNCATE bench.plain_events;
CHECKPOINT;"
# The single-event and memory benchmarks start from a table with history and
# statistics (as autovacuum would have them): the bulk source loaded once
# into both tables, then ANALYZE.
SEEDED=
seed_events() {
	[ -n "$SEEDED" ] && return 0
	"${PSQL[@]}" -d bench_ingest >/dev/null <<EOF || exit 1
$RESET_EVENTS
$RESET_PLAIN
INSERT INTO bounce_suppress.events ($EVENT_COLS) SELECT $EVENT_COLS FROM bench.src_events;
INSERT INTO bench.plain_events ($EVENT_COLS) SELECT $EVENT_COLS FROM bench.src_events;
VACUUM ANALYZE bounce_suppress.events, bounce_suppress.suppressions, bounce_suppress.suppression_log, bench.plain_events;
EOF
	SEEDED=1
}

if want queue; then
# ---------------------------------------------------------------- send queue
bs_say "send-queue filtering: $N_QUEUE queue rows x $N_SUPP suppressions"
Q_VIEW="SELECT count(*) FROM bench.queue q WHERE NOT EXISTS (SELECT 1 FROM bounce_suppress.active_suppressions s WHERE s.project = 'default' AND s.address = q.email);"
Q_PLAIN="SELECT count(*) FROM bench.queue q WHERE NOT EXISTS (SELECT 1 FROM bench.plain_supp s WHERE s.project = 'default' AND s.address = q.email);"
Q_PROBE="SELECT count(*) FROM bench.queue q WHERE NOT bounce_suppress.is_suppressed(q.email);"
echo "    answers: view $(val bench_queue "$Q_VIEW"), plain $(val bench_queue "$Q_PLAIN"), is_suppressed $(val bench_queue "$Q_PROBE") unsuppressed of $N_QUEUE"
val bench_queue "EXPLAIN (COSTS OFF) $Q_VIEW" | sed 's/^/    plan: /'
record "NOT EXISTS active_suppressions / plain table" ms "<=1.1" $(alternate "$ROUNDS" "$Q_VIEW" "$Q_PLAIN" bench_queue bench_queue)
record "NOT is_suppressed(email) / hash anti-join (view)" ms "<=2.5" $(alternate "$ROUNDS" "$Q_PROBE" "$Q_VIEW" bench_queue bench_queue)
record "is_suppressed at $((N_SUPP + N_SCALE_EXTRA)) / at $N_SUPP suppressions" ms "<=1.3" $(alternate "$ROUNDS" "$Q_PROBE" "$Q_PROBE" bench_scale bench_queue)

fi

if want guard; then
bs_say "guard trigger: INSERT of $N_QUEUE queue rows"
G_PREP_A="TRUNCATE bench.outbox_guarded; CHECKPOINT;"
G_PREP_B="TRUNCATE bench.outbox_plain; CHECKPOINT;"
record "INSERT with block_suppressed('email','skip') / without" ms report \
	$(alternate "$ROUNDS" "INSERT INTO bench.outbox_guarded SELECT * FROM bench.queue;" \
		"INSERT INTO bench.outbox_plain SELECT * FROM bench.queue;" bench_queue bench_queue "$G_PREP_A" "$G_PREP_B")
echo "    rows kept: guarded $(val bench_queue "SELECT count(*) FROM bench.outbox_guarded"), plain $(val bench_queue "SELECT count(*) FROM bench.outbox_plain")"

fi

if want classify; then
# ---------------------------------------------------------------- classify
bs_say "classify_smtp over $N_REPLIES replies (repeating $REPLY_SOURCE)"
record "count(classify_smtp(r)) / count(length(r))" ms "<=4" \
	$(alternate "$ROUNDS" "SELECT count(bounce_suppress.classify_smtp(diag)) FROM bench.replies;" \
		"SELECT count(length(diag)) FROM bench.replies;" bench_ingest bench_ingest)

fi

if want bulk; then
# ---------------------------------------------------------------- bulk ingest
bs_say "bulk ingest: $N_EVENTS events (33 % hard, 33 % soft, 10 % complaints, 24 % deliveries)"
record "INSERT ... SELECT into events / untriggered copy" ms "<=3" \
	$(alternate "$BULK_ROUNDS" "INSERT INTO bounce_suppress.events ($EVENT_COLS) SELECT $EVENT_COLS FROM bench.src_events;" \
		"INSERT INTO bench.plain_events ($EVENT_COLS) SELECT $EVENT_COLS FROM bench.src_events;" \
		bench_ingest bench_ingest "$RESET_EVENTS" "$RESET_PLAIN")
echo "    after the last load: $(val bench_ingest "SELECT count(*) FROM bounce_suppress.suppressions") suppressions, $(val bench_ingest "SELECT string_agg(reason || ' ' || n, ', ') FROM (SELECT reason, count(*) n FROM bounce_suppress.suppressions GROUP BY 1 ORDER BY 1) s")"
record "COPY into events / untriggered copy" ms "<=3" \
	$(alternate "$BULK_ROUNDS" "COPY bounce_suppress.events ($EVENT_COLS) FROM '$WORK/files/events.copy';" \
		"COPY bench.plain_events ($EVENT_COLS) FROM '$WORK/files/events.copy';" \
		bench_ingest bench_ingest "$RESET_EVENTS" "$RESET_PLAIN")

fi

if want single; then
# ---------------------------------------------------------------- single-event ingest
bs_say "single-event ingest: pgbench -M prepared -c 2 -j 2 -T $PGB_SECONDS, pool of $POOL addresses"
seed_events
echo "    events start with $(val bench_ingest "SELECT count(*) FROM bounce_suppress.events") rows, suppressions $(val bench_ingest "SELECT count(*) FROM bounce_suppress.suppressions") (not reset between rounds)"
pgb() {
	local out
	"${PSQL[@]}" -d bench_ingest -c "CHECKPOINT" >/dev/null || exit 1
	out=$(pgbench -n -M prepared -c 2 -j 2 -T "$PGB_SECONDS" -D pool=$POOL -f "test/bench/$1" bench_ingest 2>&1) || {
		echo "$out" >&2
		touch "$WORK/failed"
		exit 1
	}
	echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
ta=() tb=()
for ((i = 1; i <= ROUNDS; i++)); do
	if ((i % 2)); then ta+=("$(pgb ingest_bounce.pgbench)"); tb+=("$(pgb insert_plain.pgbench)")
	else tb+=("$(pgb insert_plain.pgbench)"); ta+=("$(pgb ingest_bounce.pgbench)"); fi
done
record "ingest_bounce() tps / bare INSERT tps" tps ">=0.5" "${ta[@]}" -- "${tb[@]}"

fi

if want memory; then
# ---------------------------------------------------------------- memory
bs_say "memory: one session, $MEM_CLASSIFY classify_smtp then $MEM_INGEST ingest_bounce calls"
seed_events
{
	echo '\set ON_ERROR_STOP 1'
	echo "CREATE TEMP TABLE rss (phase text, calls bigint, rss_kb bigint, anon_kb bigint);"
	echo "INSERT INTO rss SELECT 'start', 0, * FROM bench.rss();"
	passes=$((MEM_CLASSIFY / N_REPLIES))
	for ((i = 1; i <= passes; i++)); do
		echo "SELECT count(bounce_suppress.classify_smtp(diag)) FROM bench.replies \\g /dev/null"
		echo "INSERT INTO rss SELECT 'classify', $((i * N_REPLIES)), * FROM bench.rss();"
	done
	# ingest in statements of MEM_CHUNK calls (one transaction each)
	chunks=$((MEM_INGEST / MEM_CHUNK))
	every=$((chunks / 10 > 0 ? chunks / 10 : 1))
	for ((i = 0; i < chunks; i++)); do
		echo "SELECT count(bounce_suppress.ingest_bounce('user' || (g % $POOL) || '@d' || (g % $POOL % 997) || '.example.com', NULL, d.diag, now(), '<mem' || g || '@mailer.example>'))
		        FROM generate_series($((i * MEM_CHUNK + 1)), $(((i + 1) * MEM_CHUNK))) g JOIN bench.diags d ON d.id = 1 + g % 22 \\g /dev/null"
		if (((i + 1) % every == 0)); then echo "INSERT INTO rss SELECT 'ingest', $(((i + 1) * MEM_CHUNK)), * FROM bench.rss();"; fi
	done
	echo "\\pset format unaligned"
	echo "\\pset tuples_only on"
	echo "SELECT phase, calls, rss_kb, anon_kb FROM rss;"
} >"$WORK/mem.sql"
t0=$SECONDS
mem=$("${PSQL[@]}" -d bench_ingest -f "$WORK/mem.sql") || exit 1
echo "$mem" | sed 's/^/    /' | column -t -s '|'
echo "    ($((SECONDS - t0)) s)"
mem_line() {
	# growth of anon memory per call between the first and last sample of a phase (after the first)
	echo "$mem" | awk -F'|' -v p="$1" '$1 == p {n++; if (n == 1) {c0 = $2; a0 = $4; r0 = $3} c = $2; a = $4; r = $3}
		END {printf "%s: RssAnon %d -> %d kB, VmRSS %d -> %d kB from call %d to %d: %.4f bytes/call", p, a0, a, r0, r, c0, c, (c > c0) ? (a - a0) * 1024 / (c - c0) : 0}'
}
MEM_CLASSIFY_LINE=$(mem_line classify)
MEM_INGEST_LINE=$(mem_line ingest)

fi

# ---------------------------------------------------------------- the table
PGVER=$(val postgres "SHOW server_version")
CPU=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
{
	echo "bounce_suppress benchmarks ($SCALE sizes), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "Machine: $(nproc) cores ($CPU), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, PostgreSQL $PGVER"
	echo "Settings (both sides of every ratio): fsync = off, $(printf '%s, ' "${SETTINGS[@]}" | sed 's/, $//'), locale C.UTF-8."
	echo "Medians of $ROUNDS alternating rounds ($BULK_ROUNDS for the bulk loads); A is the extension's path, B its baseline; ratio = A/B (time) or A/B (tps)."
	echo
	echo "| benchmark | A | B | unit | ratio | target | |"
	echo "| --- | ---: | ---: | --- | ---: | --- | --- |"
	for r in "${RESULTS[@]}"; do
		IFS='|' read -r n a b u ra t v <<<"$r"
		echo "| $n | $a | $b | $u | $ra | $t | $v |"
	done
	echo
	echo "Memory, one backend ($MEM_CHUNK ingest calls per statement):"
	echo "- $MEM_CLASSIFY_LINE"
	echo "- $MEM_INGEST_LINE"
	echo
	echo "Data: bulk ingest $N_EVENTS events over $((N_EVENTS / 5)) addresses, ids and provider event ids unique, reason/reply code/status left to the events trigger;"
	echo "single-event ingest: random address of $POOL, diagnostics 45 % permanent, 50 % transient, 5 % undetermined (type classified by ingest_bounce);"
	echo "queue: $N_QUEUE rows, 20 % of them suppressed, against $N_SUPP suppressions (scaling: the same queue and answers, $N_SCALE_EXTRA more suppressions that no queue row has);"
	echo "classify: $N_REPLIES rows repeating $REPLY_SOURCE."
	echo "Baselines: bench.plain_events = CREATE TABLE (LIKE bounce_suppress.events INCLUDING ALL): the same keys, indexes, defaults"
	echo "and CHECKs (normalize_address included), no triggers; bench.plain_supp = the suppressions' rows and primary key, no view."
} | tee "$WORK/table.md"
[ -n "${BENCH_OUT:-}" ] && cp "$WORK/table.md" "$BENCH_OUT"
exit 0
