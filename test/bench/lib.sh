# Shared set-up of the benchmarks in test/bench (sourced, not run): a
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
