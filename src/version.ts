// Replaced at bundle time by build.mjs; read from package.json when run from source.
declare const __TSINIT_VERSION__: string | undefined;

export const VERSION: string = typeof __TSINIT_VERSION__ === 'string' ? __TSINIT_VERSION__ : '0.0.0-dev';
