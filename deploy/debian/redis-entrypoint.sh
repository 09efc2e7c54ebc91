#!/bin/sh
# `redis-server ARGS` as in the official image: listening on every address of the container.
if [ "${1:-}" = redis-server ]; then
	shift
	set -- redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
