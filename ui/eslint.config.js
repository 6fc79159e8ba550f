import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/'] },
  js.configs.recommended,
  ...ts.configs.strict,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node },
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        parser: ts.parser,
        extraFileExtensions: ['.svelte'],
        svelteConfig,
      },
    },
  },
  {
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='eval']", message: 'No eval: the CSP forbids it.' },
        { selector: "NewExpression[callee.name='Function']", message: 'No new Function: the CSP forbids it.' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'svelte/no-at-html-tags': 'error',
      eqeqeq: 'error',
    },
  },
  {
    // Only src/lib/api.ts may talk to the shell.
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    ignores: ['src/lib/api.ts', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@tauri-apps/api/core', message: 'Call the shell through src/lib/api.ts.' },
            { name: '@tauri-apps/api/event', message: 'Subscribe through src/lib/api.ts.' },
          ],
        },
      ],
    },
  },
);
