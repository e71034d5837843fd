#!/bin/sh
# As the official image's entrypoint: arguments that are flags, or not a command on PATH, are
# run by node (`docker run IMAGE --version`, `docker run IMAGE app.js`); anything else is run as is.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
