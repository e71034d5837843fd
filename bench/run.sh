#!/usr/bin/env bash
# `npm run bench [-- flags]`: installs the pinned programs (cached), builds the app, runs the bench.
# A script rather than a one-line npm command because scripts/env.sh needs bash, and npm runs its
# scripts with /bin/sh. Everything but the results table goes to stderr, so stdout is the table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-tools.sh >&2
. scripts/env.sh
npm run build >&2
exec node --require ts-node/register bench/main.ts "$@"
