// djb's sgetopt as bundled with runit (chpst's and utmpset's option parser):
// stops at the first non-option, `--` ends options, a lone `-` is an operand,
// and a bad option yields '?' with the message runit prints before its usage
// text. Pure: messages are returned.

export interface GetoptState {
  /** index of the next argv element to look at (argv[0] is the program) */
  optind: number;
  /** position inside argv[optind] when in the middle of clustered options */
  optpos: number;
}

export type GetoptResult =
  | { done: true }
  | { done: false; opt: string; arg?: string }
  | { done: false; opt: '?'; problem: string; message: string };

export function newGetopt(): GetoptState {
  return { optind: 1, optpos: 0 };
}

/**
 * One step over argv (argv[0] included) with an option string like "u:vP".
 * `progname` is what a problem message starts with (runit: argv[0]'s basename).
 */
export function getopt(st: GetoptState, argv: readonly string[], opts: string, progname: string): GetoptResult {
  const argc = argv.length;
  if (st.optind >= argc) return { done: true };
  if (st.optpos && st.optpos >= (argv[st.optind] as string).length) {
    st.optind++;
    st.optpos = 0;
    if (st.optind >= argc) return { done: true };
  }
  let cur = argv[st.optind] as string;
  if (!st.optpos) {
    if (cur[0] !== '-') return { done: true };
    st.optpos = 1;
    const c = cur[1];
    if (c === '-' || c === undefined) {
      if (c !== undefined) st.optind++;
      st.optpos = 0;
      return { done: true };
    }
  }
  const c = cur[st.optpos] as string;
  st.optpos++;
  const at = opts.indexOf(c);
  if (c !== ':' && at !== -1) {
    if (opts[at + 1] !== ':') return { done: false, opt: c };
    let arg = cur.slice(st.optpos);
    st.optind++;
    st.optpos = 0;
    if (arg === '') {
      if (st.optind >= argc) return problem(st, argv, c, progname);
      cur = argv[st.optind] as string;
      arg = cur;
      st.optind++;
    }
    return { done: false, opt: c, arg };
  }
  return problem(st, argv, c, progname);
}

function problem(st: GetoptState, argv: readonly string[], c: string, progname: string): GetoptResult {
  const what = st.optind < argv.length ? 'illegal option' : 'option requires an argument';
  return { done: false, opt: '?', problem: c, message: `${progname}: ${what} -- ${c}\n` };
}
