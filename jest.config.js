/**
 * One jest configuration, three projects:
 * - unit: tests/unit, in-process (fakes and local parts passed through the factories);
 * - integration: tests/integration and tests/security, over HTTP against the private stack that
 *   tests/integration/run.ts starts (it sets TEST_STACK and runs this project, in band);
 * - faults: tests/faults, each file starts and stops a stack of its own.
 *
 * TypeScript is transpiled by SWC to CommonJS, without type checks (`npm run typecheck` does
 * those). @middy/core ships ESM only, so it goes through the same transform.
 */
const TS_TRANSFORM = [
  '@swc/jest',
  { swcrc: false, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
const JS_TRANSFORM = [
  '@swc/jest',
  { swcrc: false, jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

/** Shared by every project. */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': TS_TRANSFORM, '^.+\\.m?js$': JS_TRANSFORM },
  // Packages that ship ESM only, transformed like our code.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // A spy lives for one test (what node:test's t.mock did).
  restoreMocks: true,
  // Every file's time in the summary, not only those over 5 s.
  slowTestThreshold: 0,
  // Folders the tests and the stacks write into; never tests or modules.
  modulePathIgnorePatterns: ['<rootDir>/.local/', '<rootDir>/.serverless/', '<rootDir>/.esbuild/'],
  // Applies the project's TEST_TIMEOUT_MS below to its tests and hooks.
  setupFilesAfterEnv: ['<rootDir>/tests/support/jest-timeout.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
      // Some files start dynalite, cognito-local or a small server first.
      globals: { TEST_TIMEOUT_MS: 15_000 },
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts', '<rootDir>/tests/security/**/*.test.ts'],
      // Real HTTP against serverless-offline: some tests make hundreds of calls (up to ~15 s).
      globals: { TEST_TIMEOUT_MS: 60_000 },
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
      // Starting a stack, stopping and restarting its parts.
      globals: { TEST_TIMEOUT_MS: 120_000 },
    },
  ],
};
