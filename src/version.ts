// Replaced at bundle time by build.mjs; defaults when run from source.
declare const __TSINIT_VERSION__: string | undefined;
declare const __TSINIT_COMMIT__: string | undefined;

export const VERSION: string = typeof __TSINIT_VERSION__ === 'string' ? __TSINIT_VERSION__ : '0.0.0-dev';
/** short git commit hash of the build ("unknown" outside a checkout) */
export const COMMIT: string = typeof __TSINIT_COMMIT__ === 'string' ? __TSINIT_COMMIT__ : 'source';

/** `tsinit --version`: version, commit and the architecture actually running (x64, arm64). */
export function versionLine(arch: string = process.arch): string {
  return `tsinit ${VERSION} (${COMMIT}) ${arch}\n`;
}
