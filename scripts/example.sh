#!/usr/bin/env bash
# tsinit as PID 1 of a fresh PID namespace, on the bundled example services
# (examples/runit and examples/service, copied to a temp dir). Ctrl-C or
# `kill -TERM` on tsinit stops it the way `docker stop` would.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x dist/tsinit ] || node build.mjs
work=$(mktemp -d /tmp/tsinit-example.XXXXXX)
cp -a examples/. "$work/"
dist/tsinit install "$work/bin" >/dev/null
cat <<MSG
example tree: $work
  in another shell:  $work/bin/sv status $work/service/*
                     $work/bin/sv restart $work/service/hello
                     tail $work/service/hello/log/main/current
  stop:              Ctrl-C here (SIGINT), or kill -TERM the tsinit process
MSG
# unshare must survive Ctrl-C (it would take tsinit down with it); tsinit
# installs its own SIGINT handler, which overrides the inherited ignore.
trap '' INT
exec unshare --pid --fork --mount-proc --kill-child \
  env PATH="$work/bin:$PATH" TSINIT_RUNIT_DIR="$work/runit" TSINIT_SERVICE_DIR="$work/service" \
  "$PWD/dist/tsinit"
