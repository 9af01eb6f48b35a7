# Shared by the benchmarks in test/bench: where the figures come from, and
# a throwaway PostgreSQL cluster.  Source it from the repository root.

# the CPU (model, family), its vector units, the kernel clone the server
# picks on it (the widest level test/kernel-archs.sh lists) and the load
bench_cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
bench_cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx|avx2|fma|avx512f|avx512bw|avx512vl' | tr '\n' ' ' | sed 's/ $//')
bench_kernel_clone=$(test/kernel-archs.sh | tail -1)
bench_load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# one line naming the machine, for the top of a report
bench_machine() {
	echo "machine: $bench_cpu_model; $(nproc) cores; vector flags: ${bench_cpu_flags:-none}; kernel clone: ${bench_kernel_clone:-default}; load average at start: $bench_load_at_start"
}

# the same with the load at the end, for the bottom of a report
bench_machine_end() {
	echo "$(nproc) cores, $bench_cpu_model (${bench_cpu_flags}; kernel clone ${bench_kernel_clone:-default}), $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release); load average $bench_load_at_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

# the server will not run as root: use the postgres account then
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# bench_cluster_start BINDIR PORT [postgres -c settings...]: a cluster in a
# fresh directory $bench_out (removed at exit); sql runs psql against it
bench_cluster_start() {
	bench_bindir=$1 bench_port=$2
	shift 2
	bench_out=$(mktemp -d /tmp/bpnn-bench.XXXXXX)
	chmod 755 "$bench_out"
	[ "$(id -u)" = 0 ] && chown postgres "$bench_out"
	trap bench_cluster_stop EXIT
	as_pg "$bench_bindir/initdb" -D "$bench_out/data" -A trust -U postgres >/dev/null
	as_pg "$bench_bindir/pg_ctl" -D "$bench_out/data" -l "$bench_out/log" -w \
		-o "-p $bench_port -k $bench_out -c listen_addresses='' $*" start >/dev/null
}

bench_cluster_stop() {
	[ -f "$bench_out/data/postmaster.pid" ] &&
		as_pg "$bench_bindir/pg_ctl" -D "$bench_out/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$bench_out"
}

sql() { "$bench_bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$bench_out" -p "$bench_port" -U postgres -d postgres "$@"; }

# cpu_seconds() in the cluster's database: the calling backend's CPU time
# (utime + stime from /proc/self/stat), which a loaded machine disturbs
# less than the wall clock
bench_cpu_seconds_function() {
	sql <<'SQL'
CREATE FUNCTION cpu_seconds() RETURNS float8 LANGUAGE sql AS $$
	SELECT (f[12]::float8 + f[13]::float8) / 100
	FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) s $$;
SQL
}
