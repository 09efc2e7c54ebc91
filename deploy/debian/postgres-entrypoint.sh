#!/bin/sh
# The official image's start, in short: initialise an empty data directory once, then run.
set -eu
if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
	user=${POSTGRES_USER:-postgres}
	database=${POSTGRES_DB:-$user}
	printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
	initdb --pgdata="$PGDATA" --username="$user" --pwfile=/tmp/pwfile --encoding=UTF8 \
		--locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
	rm /tmp/pwfile
	echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait --silent start
	if [ "$database" != postgres ]; then
		psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
			--command="CREATE DATABASE \"$database\"" >/dev/null
	fi
	for script in /docker-entrypoint-initdb.d/*; do
		case "$script" in
		*.sql) psql -v ON_ERROR_STOP=1 --username="$user" --dbname="$database" --file="$script" ;;
		*.sh) . "$script" ;;
		esac
	done
	pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
	echo "PostgreSQL: data directory initialised"
fi
if [ "${1:-}" = postgres ]; then
	shift
	set -- postgres -c listen_addresses='*' "$@"
fi
exec "$@"
