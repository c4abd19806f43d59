// sv as an LSB init script (/etc/init.d/NAME -> sv), reference spec 4.1,
// 4.3 and 4.9: the link's basename is the service, only one service, other
// exit codes. Pure.

export interface Mode {
  /** name used in usage and getopt messages: "sv" or the LSB service name */
  progname: string;
  lsb: boolean;
}

/** runit decides by argv[0]'s basename: anything but "sv" is LSB mode. */
export function modeOf(argv0: string, lsbName: string | undefined): Mode {
  const base = lsbName ?? argv0.slice(argv0.lastIndexOf('/') + 1);
  return { progname: base, lsb: base !== 'sv' };
}

export function usageExit(lsb: boolean): number {
  return lsb ? 2 : 100;
}

export function fatalExit(lsb: boolean): number {
  return lsb ? 151 : 100;
}

/**
 * LSB `status` exit code from the printer's result: running 0, not running 3,
 * unknown 4. (Debian 2.1.2 feeds it the log service's result when there is a
 * log; the caller reproduces that.)
 */
export function lsbStatusExit(printed: 0 | 1 | 2): number {
  return printed === 1 ? 0 : printed === 2 ? 3 : 4;
}

/** Normal exit code: the failure count, capped at 99. */
export function capExit(failures: number): number {
  return failures > 99 ? 99 : failures;
}
