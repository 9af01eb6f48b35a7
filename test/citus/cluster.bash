# test/citus/cluster.bash — a throwaway local Citus cluster for the Citus
# benchmark (test/bench/citus-epoch.sh); sourced.  (The Citus test,
# test/t/014_citus.pl, makes its nodes with PostgreSQL::Test::Cluster.)
#
#   citus_available            true when citus.so and bpnn are installed for $PG_CONFIG
#   citus_cluster_start        a coordinator and 2 workers: initdb (trust) as the
#                              postgres user, shared_preload_libraries = 'citus',
#                              Unix socket only, in a fresh directory; Citus set up
#                              with the socket directory as the nodes' host name
#   coord ARGS / worker N ARGS psql on the coordinator / worker N (1 or 2)
#   citus_cluster_stop         stop the nodes and remove the directory
#
# PG_CONFIG defaults to the system PostgreSQL 15; CITUS_PORT (default 56042)
# is the coordinator's port, the workers take the next two.  Listening on a
# socket only, the ports clash with no server outside the directory.

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
citus_bin=$("$PG_CONFIG" --bindir)
citus_port=${CITUS_PORT:-56042}
citus_ports=("$citus_port" $((citus_port + 1)) $((citus_port + 2)))
citus_dir=

citus_available() {
	[ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] &&
		[ -f "$("$PG_CONFIG" --sharedir)/extension/bpnn.control" ]
}

# run a command as the postgres user (directly when already not root)
as_postgres() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

citus_cluster_stop() {
	local i
	[ -n "$citus_dir" ] || return 0
	for i in 0 1 2; do
		[ -f "$citus_dir/n$i/postmaster.pid" ] &&
			as_postgres "$citus_bin/pg_ctl" -D "$citus_dir/n$i" -m immediate stop >/dev/null 2>&1
	done
	rm -rf "$citus_dir"
	citus_dir=
}

citus_cluster_start() {
	local i
	citus_dir=$(mktemp -d /tmp/bpnn-citus.XXXXXX)
	chmod 755 "$citus_dir"
	[ "$(id -u)" = 0 ] && chown postgres "$citus_dir"
	citus_sock=$citus_dir
	for i in 0 1 2; do
		as_postgres "$citus_bin/initdb" -A trust -U postgres -D "$citus_dir/n$i" >/dev/null
		cat >> "$citus_dir/n$i/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = ''
unix_socket_directories = '$citus_sock'
port = ${citus_ports[$i]}
fsync = off
max_connections = 60
CONF
		as_postgres "$citus_bin/pg_ctl" -D "$citus_dir/n$i" -l "$citus_dir/n$i.log" -w start >/dev/null
		node "$i" -c "CREATE EXTENSION citus" >/dev/null
	done
	coord -c "SELECT citus_set_coordinator_host('$citus_sock', ${citus_ports[0]})" \
		-c "SELECT citus_add_node('$citus_sock', ${citus_ports[1]})" \
		-c "SELECT citus_add_node('$citus_sock', ${citus_ports[2]})" >/dev/null
}

node() {
	local i=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -h "$citus_sock" -p "${citus_ports[$i]}" -U postgres -d postgres "$@"
}
coord() { node 0 "$@"; }
worker() { node "$@"; }
