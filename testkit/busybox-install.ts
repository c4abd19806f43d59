// busybox (the e2e image's tools) has no `install`; Debian's runit scripts
// use it. One stand-in for the e2e tests and the benchmarks that run Debian's
// unchanged scripts in that image.

/**
 * `install` in the forms Debian's runit scripts use (-mMODE,
 * -m MODE, -o USER / -oUSER, -g GROUP / -gGROUP, -d; options also after the
 * operands, as dbus/run writes them), with busybox's tools (paths without spaces).
 */
export const BUSYBOX_INSTALL = `#!/bin/sh
mode= owner= group= dir= files=
while [ $# -gt 0 ]; do
  case $1 in
    -m) mode=$2; shift 2 ;;
    -m*) mode=\${1#-m}; shift ;;
    -o) owner=$2; shift 2 ;;
    -o*) owner=\${1#-o}; shift ;;
    -g) group=$2; shift 2 ;;
    -g*) group=\${1#-g}; shift ;;
    -d) dir=1; shift ;;
    -*) echo "install: unsupported option $1" >&2; exit 1 ;;
    *) files="$files $1"; shift ;;
  esac
done
set -- $files
if [ -z "$dir" ]; then cat "$1" > "$2" || exit 1; set -- "$2"; fi
for f in "$@"; do
  [ -n "$dir" ] && { mkdir -p "$f" || exit 1; }
  [ -n "$mode" ] && chmod "$mode" "$f"
  [ -n "$owner$group" ] && chown "$owner\${group:+:$group}" "$f"
done
exit 0
`;
