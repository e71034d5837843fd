#!/usr/bin/env bash
# The one test command (README "How to test"; .ci/run calls it). On a fresh machine it installs
# every pinned program the tests use, then builds the app and runs the whole suite on the Node
# version the image ships.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-tools.sh
. scripts/env.sh
echo "test: node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
# Every TypeScript file, strict: vitest and ts-node only strip types, so this is where a type
# error in a test, the bench, the harness or a tool shows.
npm run typecheck
npm run build
mkdir -p .artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.artifacts/vitest.json "$@" || status=$?
# vitest's own summary is not one every CI reader knows; print the plain closing line too.
node -e '
  const r = require("./.artifacts/vitest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` +
    (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
  if (r.numTotalTests === 0) process.exit(1);
' || status=1
exit "$status"
