// @ts-check
/**
 * ESLint: ESLint's recommended rules plus typescript-eslint's type-checked recommended rules
 * (`recommendedTypeChecked`), with types from tsconfig.json through the project service.
 * `npm run lint` runs it; `npm test` runs that between the type check and the unit tests.
 */
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Generated or installed, never ours: dependencies, the stacks' state and builds, coverage.
    ignores: ['node_modules/', '.local/', '.esbuild/', '.serverless/', 'coverage/'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      // A disable comment that silences nothing fails the lint, so none outlives its reason.
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `const { secret: _secret, ...rest } = record` is how the code drops a member: the rest
      // is what is used. An underscore marks any other name kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read JSON as `any` on purpose: HTTP answers (tests/support/client.ts), log lines,
    // Lambda payloads, the packaged CloudFormation template. Each such `any` is declared where it
    // comes from, with its reason (no-explicit-any stays on). What a test then does with it is
    // assert on it, and a wrong shape fails the test, so the rules on any flowing further would
    // only repeat that one declaration on every line that reads a body.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes implement the code's async ports (`get: async () => record`): declared async, they
      // have the real adapter's shape, and what they throw becomes a rejection as it would there.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The JavaScript config files are outside tsconfig.json: syntax rules only, no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
