#!/usr/bin/env bash
# tsinit as PID 1 of a fresh PID namespace, on the bundled example services
# (examples/runit and examples/service, copied to a temp dir). Ctrl-C or
# `kill -TERM` on tsinit stops it the way `docker stop` would.
#
# Everything it writes is under one temp dir, removed at exit: the tool links
# (and what `tsinit install` extracts beside the executable, so a link to,
# never an install of, dist/tsinit), the services, and tsinit's runtime
# directory (TSINIT_RUN_DIR: pid, events socket; not the host's /run/tsinit).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x dist/tsinit ] || node build.mjs
work=$(mktemp -d /tmp/tsinit-example.XXXXXX)
trap 'rm -rf "$work"' EXIT
# a signal to this script still ends in the EXIT trap (bash skips it otherwise)
trap 'exit 143' TERM
trap 'exit 129' HUP
cp -a examples/. "$work/"
mkdir -p "$work/bin" "$work/run"
# tsinit install writes .tsinit-* files beside the executable it is: a copy
# (a hard link where possible) in $work/bin, so dist/ stays as built
ln dist/tsinit "$work/bin/tsinit" 2>/dev/null || cp dist/tsinit "$work/bin/tsinit"
"$work/bin/tsinit" install "$work/bin" >/dev/null
cat <<MSG
example tree: $work (removed when tsinit exits)
  in another shell:  export PATH=$work/bin:\$PATH SVDIR=$work/service \\
                            TSINIT_SERVICE_DIR=$work/service TSINIT_RUN_DIR=$work/run
                     sv status hello clock
                     sv restart hello
                     tsinit health        # exit 0 when every service is up
                     tsinit events        # lifecycle events, one JSON object per line
                     tail $work/service/hello/log/main/current
  stop:              Ctrl-C here (SIGINT), or kill -TERM the tsinit process
MSG
# unshare must survive Ctrl-C (it would take tsinit down with it); tsinit
# installs its own SIGINT handler, which overrides the inherited ignore.
trap '' INT
status=0
unshare --pid --fork --mount-proc --kill-child \
  env PATH="$work/bin:$PATH" TSINIT_RUNIT_DIR="$work/runit" TSINIT_SERVICE_DIR="$work/service" \
  TSINIT_RUN_DIR="$work/run" "$work/bin/tsinit" || status=$?
exit "$status"
