/**
 * Each jest project's default timeout for a test or a hook, from its `globals.TEST_TIMEOUT_MS`
 * in jest.config.js (jest's own `testTimeout` option is one value for every project).
 */
import { jest } from '@jest/globals';

const timeout = (globalThis as { TEST_TIMEOUT_MS?: unknown }).TEST_TIMEOUT_MS;
if (typeof timeout === 'number') jest.setTimeout(timeout);
