// Debian's own runit, tini, dumb-init and s6, fetched with `apt-get download`
// and unpacked with `dpkg-deb -x` into .cache/debian/<package>/ (not installed).
// Shared by test/ and bench/ (testkit/ is the code both may import).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');
export const cacheDir = path.join(repoRoot, '.cache', 'debian');

// One shell script under flock(1), so concurrent test files fetch once.
const fetchScript = `
set -e
pkg="$1"; root="$2"
[ -e "$root/.unpacked" ] && exit 0
tmp=$(mktemp -d "$root.tmp-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download -qq "$pkg" 2>/dev/null || { apt-get update -qq >/dev/null 2>&1; apt-get download -qq "$pkg"; }
rm -rf "$root"; mkdir -p "$root"
dpkg-deb -x ./*.deb "$root"
ls ./*.deb > "$root/.unpacked"
`;

/** Root folder of the unpacked package, fetched on first use. */
export function debianPackage(pkg: string): string {
  const root = path.join(cacheDir, pkg);
  if (fs.existsSync(path.join(root, '.unpacked'))) return root;
  fs.mkdirSync(cacheDir, { recursive: true });
  execFileSync('flock', [path.join(cacheDir, `${pkg}.lock`), 'sh', '-c', fetchScript, 'fetch', pkg, root], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return root;
}

/** Debian runit's binaries: { runsv, runsvdir, sv, svlogd, chpst, runsvchdir, utmpset, runit, bin } */
export function debianRunit(): Record<'runsv' | 'runsvdir' | 'sv' | 'svlogd' | 'chpst' | 'runsvchdir' | 'utmpset' | 'runit' | 'bin', string> {
  const r = debianPackage('runit');
  return {
    runsv: path.join(r, 'usr/bin/runsv'),
    runsvdir: path.join(r, 'usr/bin/runsvdir'),
    sv: path.join(r, 'usr/bin/sv'),
    svlogd: path.join(r, 'usr/bin/svlogd'),
    chpst: path.join(r, 'usr/bin/chpst'),
    runsvchdir: path.join(r, 'usr/sbin/runsvchdir'),
    utmpset: path.join(r, 'usr/sbin/utmpset'),
    runit: path.join(r, 'sbin/runit'),
    bin: path.join(r, 'usr/bin'),
  };
}
