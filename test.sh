#!/usr/bin/env bash
# Runs every test: unit, bUnit, real Dovecot/SMTP/PostgreSQL/nginx and Chromium end-to-end.
# Installs what a fresh Debian/Ubuntu machine with only the .NET SDK lacks (when run as root),
# and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

need=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
# Dovecot's submission service: the SMTP server that checks XOAUTH2 tokens in the OAuth2 tests.
[ -x /usr/lib/dovecot/submission ] || need+=(dovecot-submissiond)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/nginx ] || need+=(nginx)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test dependencies: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || { echo "apt-get install ${need[*]} failed"; echo "0 passed, 1 failed"; exit 1; }
  else
    echo "Missing test dependencies: ${need[*]}"
    echo "Install them first, e.g.: sudo apt-get update && sudo apt-get install -y ${need[*]}"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

results="$(mktemp -d)"
dotnet test EmailSettings.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" 2>&1 \
  | tee "$results/console.log"
status=${PIPESTATUS[0]}

passed=0; failed=0
for trx in "$results"/*.trx "$results"/*/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
