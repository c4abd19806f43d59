// Ctrl-C on `npm run example` (scripts/example.sh: tsinit as PID 1 of a PID
// namespace, on a terminal, as with `docker run -it`): the terminal's SIGINT
// goes to its foreground process group. The services must not be in it (each
// has a session of its own), so only tsinit gets the ^C and stops them as it
// stops them on SIGTERM: nothing restarted, each finish once, no SIGKILL.
// A pseudo-terminal from python3's pty module plays the terminal.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';

const DRIVER = String.raw`
import os, pty, re, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp('bash', ['bash', 'scripts/example.sh'])
buf = b''
def pump(until, timeout=60):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        if until():
            return True
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return until()
            if not d:
                return until()
            buf += d
    return until()
def work():
    m = re.search(rb'example tree: (\S+)', buf)
    return m.group(1).decode() if m else None
def hello_started():
    w = work()
    try:
        return w is not None and b'hello: started' in open(w + '/service/hello/log/main/current', 'rb').read()
    except OSError:
        return False
ok = pump(lambda: b'clock: ' in buf and hello_started())
if ok:
    # the example removes its tree at exit: keep hello's log file (svlogd appends to it in place)
    os.link(work() + '/service/hello/log/main/current', sys.argv[1])
mark = len(buf)
if ok:
    os.write(fd, b'\x03')
pump(lambda: False)  # to the end of the output (EOF when tsinit has exited)
_, st = os.waitpid(pid, 0)
sys.stdout.write('WORK %s\nUP %s\nMARK %d\nSTATUS %d\n' % (work(), ok, mark, os.waitstatus_to_exitcode(st)))
sys.stdout.write(buf.decode(errors='replace'))
`;

const tmp: string[] = [];
after(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

test('Ctrl-C on npm run example: tsinit stops the services as on SIGTERM, none restarted, each finish once', { timeout: 180_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'tsinit')), 'dist/tsinit is built');
  const keep = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-ctrlc-'));
  tmp.push(keep);
  const logCopy = path.join(keep, 'hello-current');
  const text = await new Promise<string>((resolve, reject) => {
    execFile('python3', ['-c', DRIVER, logCopy], { cwd: repoRoot, timeout: 170_000, maxBuffer: 16 << 20 }, (e, stdout) => (e ? reject(e) : resolve(stdout)));
  });
  const head = (key: string): string => new RegExp(`^${key} (.*)$`, 'm').exec(text)?.[1] ?? '';
  const work = head('WORK');
  // the example removes it itself; a run that failed early may not have
  if (work.startsWith('/tmp/tsinit-example.')) tmp.push(work);
  assert.equal(head('UP'), 'True', `the example did not come up:\n${text}`);
  const out = text.slice(text.indexOf('\n', text.indexOf('STATUS ')) + 1);
  const afterCtrlC = out.slice(Number(head('MARK')));
  assert.equal(head('STATUS'), '0', out);
  assert.match(afterCtrlC, /shutdown requested: SIGINT/);
  // clock prints a line as it starts: none after the ^C means it was not started again
  assert.doesNotMatch(afterCtrlC, /clock: \d/, `clock restarted after ^C:\n${out}`);
  assert.doesNotMatch(afterCtrlC, /restarting|not terminated, sending sigkill/, out);
  assert.match(afterCtrlC, /exit after \d+ ms\./);
  const log = fs.readFileSync(logCopy, 'utf8');
  assert.equal(log.match(/hello: started/g)?.length, 1, `hello started again:\n${log}`);
  assert.equal(log.match(/hello: finished/g)?.length, 1, `hello's finish once:\n${log}`);
  // as on SIGTERM: ./run got TERM from tsinit, not the terminal's INT
  assert.match(log, /hello: finished \(exit -1, signal 15\)/, log);
});
