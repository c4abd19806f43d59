// PATH search as runit's pathexec_run does it, shared by the spawner (a
// child started by name) and chpst (exec and its fast path). Pure, on bytes.

/**
 * The files pathexec_run tries, in order. A name with a `/` is used as is;
 * otherwise each PATH element (default "/bin:/usr/bin", empty = ".") + "/" + name.
 */
export function pathCandidates(file: Buffer, pathValue: Buffer | undefined): Buffer[] {
  if (file.includes(0x2f)) return [file];
  const path = pathValue ?? Buffer.from('/bin:/usr/bin');
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const colon = path.indexOf(0x3a, start);
    const end = colon === -1 ? path.length : colon;
    const dir = end === start ? Buffer.from('.') : path.subarray(start, end);
    out.push(Buffer.concat([dir, Buffer.from('/'), file]));
    if (colon === -1) return out;
    start = colon + 1;
  }
}
