// A bounded wait that leaves no timer behind: a `setTimeout` racing a promise
// keeps the test file's process alive until it fires, so a 30 s bound that was
// not needed still cost 30 s at the end of the file.

/** `promise`'s value, or `fallback` once `ms` have passed; the timer is cleared either way. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
