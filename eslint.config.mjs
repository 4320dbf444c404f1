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
    // The JavaScript config files are outside tsconfig.json: syntax rules only, no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
