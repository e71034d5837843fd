#!/bin/sh
# As the official image's entrypoint: arguments that start with '-' are haproxy's; haproxy runs
# in master-worker mode (-W: the master stays PID 1 and passes SIGUSR1, a graceful stop, to its
# workers) and in the foreground (-db); anything else is run as is.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
