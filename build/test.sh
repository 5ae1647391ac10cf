#!/usr/bin/env bash
# The test command: makes sure a PostgreSQL server can be started, runs every test project in the solution
# against real PostgreSQL, and ends with the line "N passed, N failed". Extra arguments go to dotnet test.
set -uo pipefail
cd "$(dirname "$0")/.."

source build/prerequisites.sh

results=$(mktemp -d)
export LEDGER_TEST_TEARDOWN_LOG="$results/teardown.log"
# a test (or the shared host's start) that makes no progress for 10 minutes stops the run and is named, instead of
# holding it until CI's own limit
dotnet test RelationsLedger.sln --logger "trx" --results-directory "$results" --blame-hang-timeout 10m --blame-hang-dump-type none "$@"
status=$?
if [ -s "$LEDGER_TEST_TEARDOWN_LOG" ]; then
  echo "warning: the shared test host's teardown failed after every test had run (not counted as a test failure):"
  cat "$LEDGER_TEST_TEARDOWN_LOG"
fi

passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
  # failures outside any test (a fixture's cleanup, a crashed host) are told only in the run's own output: show it
  if grep -q '<RunInfo [^>]*outcome="Error"' "$trx"; then
    echo "errors outside the tests in $(basename "$trx"):"
    sed -n '/<ResultSummary/,/<\/ResultSummary>/p' "$trx" \
      | grep -v 'Discovering:\|Discovered:\|Starting:\|Finished:\|VSTest Adapter\|<Counters\|<ResultSummary\|<Output>' \
      | sed -e 's/<[^>]*>//g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' \
      | grep -v '^[[:space:]]*$'
  fi
done
rm -rf "$results"
# tests that never reported (a crashed host) count as failed
missing=$((total - passed - failed)); [ "$missing" -gt 0 ] && failed=$((failed + missing))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
