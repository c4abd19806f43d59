// Dockerfile.example's build stage cannot run here (no registry to pull
// node:24 from), so its inputs are checked instead: the files it COPYs are
// enough for `npm run build` (with the repository's node_modules standing in
// for `npm ci`), and the runtime stage's COPY sources exist.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';
import { BUILD_FLAGS, dockerfileExample, e2eContainerfile, podman, podmanOk } from '../../testkit/image.ts';

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

interface Stage {
  from: string;
  lines: string[];
}

/** Instructions per stage, continuation lines joined, comments dropped. */
function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('FROM ')) out.push({ from: line.slice(5), lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

const text = fs.readFileSync(dockerfileExample, 'utf8');

test('Dockerfile.example: a node:24 build stage running npm ci and npm run build, then the runtime stage', () => {
  const [build, runtime, extra] = stages(text);
  assert.ok(build && runtime && !extra, 'two stages');
  assert.equal(build.from, 'node:24-bookworm AS build');
  assert.ok(build.lines.some((l) => /^RUN npm ci\b/.test(l)));
  assert.ok(build.lines.includes('RUN npm run build'));
  assert.equal(runtime.from, 'debian:bookworm-slim');
  assert.ok(runtime.lines.includes('COPY --from=build /src/dist/tsinit /sbin/tsinit'));
  assert.ok(runtime.lines.includes('RUN ["/sbin/tsinit", "install", "/usr/local/bin"]'));
  assert.ok(runtime.lines.includes('STOPSIGNAL SIGTERM'));
  assert.ok(runtime.lines.includes('ENTRYPOINT ["/sbin/tsinit"]'));
  // the command-mode variant is there, commented out
  assert.match(text, /^# ENTRYPOINT \["\/sbin\/tsinit", "--"\]\n# CMD \[/m);
  for (const l of runtime.lines) {
    const m = /^COPY (?!--from)(\S+) /.exec(l);
    if (m) assert.ok(fs.existsSync(path.join(repoRoot, m[1] as string)), `${m[1]} exists`);
  }
  // the e2e image is that runtime stage, on the local base
  const cf = e2eContainerfile(text, 'localhost/base:x');
  assert.match(cf, /^FROM localhost\/base:x\n/);
  assert.match(cf, /^COPY dist\/tsinit \/sbin\/tsinit$/m);
  assert.doesNotMatch(cf, /--from=build|node:24/);
});

test("Dockerfile.example: the build stage's COPYs hold everything `npm run build` needs", () => {
  const build = stages(text)[0] as Stage;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-dockerfile-'));
  temps.push(work);
  for (const l of build.lines) {
    if (!l.startsWith('COPY ')) continue;
    const args = l.slice(5).split(/\s+/);
    const dest = args.pop() as string;
    for (const src of args) {
      const target = dest.endsWith('/') && !src.endsWith('/') ? path.join(work, dest, path.basename(src)) : path.join(work, dest);
      fs.cpSync(path.join(repoRoot, src), target, { recursive: true });
    }
  }
  // npm ci stands for the repository's node_modules (no second download here)
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(work, 'node_modules'));
  execFileSync(process.execPath, ['build.mjs'], { cwd: work, stdio: 'pipe' });
  const out = path.join(work, 'dist', 'tsinit');
  const v = execFileSync(out, ['--version'], { encoding: 'utf8' });
  assert.match(v, /\d+\.\d+\.\d+/);
});

test('.dockerignore: the build context holds what Dockerfile.example COPYs, without node_modules, dist, build, .cache, .git', async (t) => {
  // the context as podman's builder sees it: COPY . of the repository into an image, then listed
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-context-'));
  temps.push(ctx);
  const containerfile = path.join(ctx, 'Containerfile');
  fs.writeFileSync(containerfile, 'FROM scratch\nCOPY . /ctx/\n');
  const tag = `localhost/tsinit-context-test:${process.pid}`;
  await podmanOk(['build', ...BUILD_FLAGS, '--quiet', '-f', containerfile, '-t', tag, repoRoot], { timeoutMs: 600000 });
  try {
    const cid = (await podmanOk(['create', tag, 'none'])).trim();
    let listing: string;
    try {
      const tarFile = path.join(ctx, 'fs.tar');
      await podmanOk(['export', '-o', tarFile, cid]);
      listing = execFileSync('tar', ['tf', tarFile], { encoding: 'utf8', maxBuffer: 64 * 1048576 });
      const size = fs.statSync(tarFile).size;
      t.diagnostic(`build context: ${(size / 1048576).toFixed(1)} MiB`);
      assert.ok(size < 32 * 1048576, `build context is ${(size / 1048576).toFixed(1)} MiB`);
    } finally {
      await podman(['rm', '-f', cid]);
    }
    const files = new Set(listing.split('\n').map((f) => f.replace(/^\.?\/?ctx\//, '').replace(/\/$/, '')));
    for (const excluded of ['node_modules', 'dist', 'build', '.cache', '.git']) {
      assert.ok(![...files].some((f) => f === excluded || f.startsWith(`${excluded}/`)), `${excluded} sent to the builder`);
    }
    // every COPY source of Dockerfile.example (both stages) reaches the builder
    for (const stage of stages(text)) {
      for (const l of stage.lines) {
        if (!l.startsWith('COPY ') || l.startsWith('COPY --from')) continue;
        const args = l.slice(5).split(/\s+/);
        args.pop();
        for (const src of args) assert.ok(files.has(src.replace(/\/$/, '')), `${src} missing from the build context`);
      }
    }
    assert.ok(files.has('src/main.ts') && files.has('native/exec-helper/tsinit-exec.c') && files.has('examples/service/hello/run'));
  } finally {
    await podman(['rmi', '-f', tag]);
  }
});
