#!/usr/bin/env bash
# Sourced by the test command and CI: on a fresh Debian machine (as root) installs what the tests and benchmarks
# need — PostgreSQL server binaries (unless ConnectionStrings__Ledger names a server) and Chromium.
install_prerequisites() {
  local missing=()
  if [ -z "${ConnectionStrings__Ledger:-}" ] && ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # the postgresql package starts a system cluster; the tests and the app run their own
    (service postgresql stop || true) >/dev/null 2>&1
  else
    echo "missing: ${missing[*]} — install them (sudo apt-get install ${missing[*]}) or set ConnectionStrings__Ledger" >&2
  fi
}
install_prerequisites
