# Shared set-up of the benchmarks in test/bench (sourced, not run): the
# generated data and the run against the installed module (bench_gen_data,
# bench_run_psql: below), or a
# private copy of this machine's PostgreSQL 15 with this work tree's
# connect_lake installed into it (so another engineer's `make install` cannot
# change the binaries mid-run, and no install lock is needed), and a cluster
# in it run as postgres.
#
#   . "$here/test/bench/lib.sh"
#   bench_private_pg "$here" "$WORK/pg"          # build, copy, install
#   bench_initdb "$WORK/pg" "$WORK/data"
#   bench_start "$WORK/pg" "$WORK/data" PORT "$WORK/sock" [-c name=value ...]
#   bench_psql ...                              # psql to it (after bench_start)
#   bench_stop "$WORK/pg" "$WORK/data"
#
# bench_start checks that the server runs from the private copy.

bench_t0=$(date +%s)
bench_log() { printf '[%s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - bench_t0 ))" "$*"; }
bench_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
bench_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_private_pg SRC PGDIR: make all and gen in SRC, copy PostgreSQL 15
# under PGDIR, install SRC's connect_lake into the copy.
bench_private_pg() {
	local src=$1 pg=$2 log=$2.build.log
	rm -rf "$pg"
	mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql"
	make -C "$src" -s -j2 all >"$log" 2>&1 || { cat "$log"; return 1; }
	make -C "$src" -s gen >>"$log" 2>&1 || { cat "$log"; return 1; }
	cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
	rm -f "$pg"/usr/share/postgresql/15/extension/connect_lake* "$pg"/usr/lib/postgresql/15/lib/connect_lake.so
	rm -rf "$pg"/usr/lib/postgresql/15/lib/bitcode/connect_lake*
	make -C "$src" -s install DESTDIR="$pg" >>"$log" 2>&1 || { cat "$log"; return 1; }
}

# bench_initdb PGDIR DATA
bench_initdb() {
	if [ "$(id -u)" = 0 ]; then chown -R postgres: "$(dirname "$2")"; fi
	bench_as_pg "$1/usr/lib/postgresql/15/bin/initdb" -D "$2" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 >"$2.initdb.log"
}

# bench_start PGDIR DATA PORT SOCKDIR [-c name=value ...]: defaults for a
# load-heavy benchmark, then the caller's settings; sets bench_psql.
bench_start() {
	local pg=$1 data=$2 port=$3 sock=$4 bin=$1/usr/lib/postgresql/15/bin running
	shift 4
	mkdir -p "$sock"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$sock"; fi
	bench_as_pg "$bin/pg_ctl" -D "$data" -l "$data.server.log" -w -o "-p $port -k $sock -c listen_addresses='' \
 -c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=4GB \
 -c checkpoint_timeout=30min -c jit=off -c max_parallel_workers_per_gather=0 $*" start >/dev/null
	running=$(readlink "/proc/$(head -1 "$data/postmaster.pid")/exe" || echo '?')
	case $running in
	"$bin"/*) ;;
	*) echo "bench: the server runs $running, not the private copy under $pg" >&2; return 1 ;;
	esac
	bench_psql=(bench_as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres)
}

# bench_stop PGDIR DATA
bench_stop() {
	if [ -f "$2/postmaster.pid" ]; then
		bench_as_pg "$1/usr/lib/postgresql/15/bin/pg_ctl" -D "$2" -m fast -w stop >/dev/null 2>&1 || true
	fi
}

# The set-up most benchmark scripts share (they need no private copy: they
# run against the module installed on this machine, or a server of yours).
#
#   . "$here/test/bench/lib.sh"
#   bench_gen_data "$here" "$data" DAYS PER_DAY SEED [connect_gen option ...]
#   bench_run_psql "$here" [-o name=value ...] -- PSQL_ARGUMENTS ...

# bench_gen_data SRC DATA DAYS PER_DAY SEED [OPTION ...]: builds the generator
# (make gen in SRC) and, unless DATA holds them already (DATA/done), generates
# DAYS days from 2026-10-01 of PER_DAY contacts with SEED and the options
# given into DATA; DATA's directory (the benchmarks' data) readable by all.
bench_gen_data() {
	local src=$1 data=$2 days=$3 per_day=$4 seed=$5
	shift 5
	make -s -C "$src" gen >/dev/null
	if [ ! -f "$data/done" ]; then
		echo "generating $days days of $per_day contacts in $data"
		rm -rf "$data"
		"$src/test/gen/connect_gen" --out "$data" --start 2026-10-01 --days "$days" \
			--contacts-per-day "$per_day" --seed "$seed" "$@" --quiet && touch "$data/done"
	fi
	chmod -R a+rX "$(dirname "$data")"
}

# bench_run_psql SRC [-o name=value ...] -- PSQL_ARGUMENTS: psql -X with the
# arguments (e.g. -f FILE), from SRC.  With CONNECT_LAKE_BENCH_PSQL set (a
# psql command line to an empty database of a server you run, the module
# installed, e.g. "runuser -u postgres -- psql -h /tmp/sock -p 5433 -d
# bench"), through that.  Otherwise SRC's module is installed on this machine
# (make install, under /tmp/connect_lake.install.lock, which test/run takes
# too, held until psql ends) and psql runs in a throw-away cluster
# (pg_virtualenv, as postgres) with shared_buffers=256MB and the -o settings.
bench_run_psql() {
	local src=$1
	local -a opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ "$1" = -o ] && [ $# -ge 2 ] || { echo "bench_run_psql: -o name=value or -- expected, not $1" >&2; return 2; }
		opts+=(-o "$2")
		shift 2
	done
	[ $# -gt 0 ] && shift
	if [ -n "${CONNECT_LAKE_BENCH_PSQL:-}" ]; then
		# shellcheck disable=SC2086 # a command line: split into its words
		(cd "$src" && $CONNECT_LAKE_BENCH_PSQL -X "$@")
		return
	fi
	# flock -o: the lock stays with flock, no server started under it inherits it
	flock -o /tmp/connect_lake.install.lock bash -c '
		src=$1 nopts=$2
		shift 2
		make -s -C "$src" install >/dev/null &&
			cd /tmp && runuser -u postgres -- pg_virtualenv -v 15 -o shared_buffers=256MB "${@:1:nopts}" \
				psql -X "${@:nopts+1}"' bench_run_psql "$src" "${#opts[@]}" "${opts[@]}" "$@"
}
