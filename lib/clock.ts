/**
 * The one clock. Records and tokens count time in whole epoch seconds (JWT `iat`, `exp`,
 * `auth_time`; the cut-offs); versions of records in epoch milliseconds. Code that decides by
 * time takes a `Clock` (epoch milliseconds) in its dependencies, so tests can set the time.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Whole epoch seconds of a clock reading (now by default). */
export const epochSeconds = (ms: number = Date.now()): number => Math.floor(ms / 1000);
