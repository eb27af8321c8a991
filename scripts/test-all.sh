#!/usr/bin/env bash
# Runs every suite, keeps going after a failure, and ends with one closing line
# "tests: N passed, N failed" over all of them; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
broken=()
log=$(mktemp)

run_step() { # name, command...
  local name=$1; shift
  echo "=== $name"
  if "$@" 2>&1 | tee "$log"; then :; else broken+=("$name"); fi
}

count_mocha() {
  local p f
  p=$(grep -Eo '^\s*[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '^\s*[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f))
}

count_pytest() {
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '[0-9]+ (failed|error)' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f))
}

# Test files run in parallel processes: most of a file's time is spent waiting on servers and jobs,
# not on the CPU. Two per core-pair by default (CI has 2 cores); MLOPS_TEST_JOBS=1 runs them one by one.
jobs=${MLOPS_TEST_JOBS:-2}
parallel=(--parallel --jobs "$jobs")
[ "$jobs" -le 1 ] && parallel=()

# The workflow bundle is built once for the whole run (as the production image does), and every
# suite's workers and every stack the tests start load it instead of running webpack again.
bundle_dir=$(mktemp -d)
trap 'rm -rf "$bundle_dir"' EXIT
if npx tsx workers/bundle-workflows.ts "$bundle_dir/workflow-bundle.js"; then
  export MLOPS_WORKFLOW_BUNDLE="$bundle_dir/workflow-bundle.js"
else
  broken+=("bundle")
fi

run_step typecheck npx tsc -p tsconfig.json --noEmit
run_step lint npx eslint .
run_step pytest .venv/bin/python -m pytest algorithms/tests -q -p no:cacheprovider; count_pytest
run_step unit npx mocha "${parallel[@]}" 'test/unit/**/*.test.ts'; count_mocha
run_step workflows npx mocha "${parallel[@]}" 'test/workflows/**/*.test.ts'; count_mocha
run_step replay npx mocha 'test/replay/**/*.test.ts'; count_mocha
run_step integration npx mocha "${parallel[@]}" --timeout 300000 'test/integration/**/*.test.ts'; count_mocha
run_step contract npx mocha --timeout 300000 'test/contract/**/*.test.ts'; count_mocha
run_step chromium scripts/ensure-chromium.sh
run_step browser npx mocha --timeout 300000 'test/browser/**/*.test.ts'; count_mocha
rm -f "$log"

if [ ${#broken[@]} -gt 0 ]; then
  echo "failed steps: ${broken[*]}"
  [ "$failed" -eq 0 ] && failed=${#broken[@]}
fi
echo "tests: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
