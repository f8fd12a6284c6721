import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.demo/', '.tmp/', 'coverage/', 'bench/results/', 'homebridge-ui/public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Layer boundaries (README "How the code is laid out"); each block lists what its files may not import.
  ...boundaries(),
  // The plugin's pages in the Homebridge UI run in the browser (homebridge-ui/public/).
  { files: ['homebridge-ui/public/**'], languageOptions: { globals: { document: 'readonly', window: 'readonly', Node: 'readonly', Blob: 'readonly', homebridge: 'readonly' } } },
);

/**
 * The import rules that keep the core transport-neutral: nothing above src/gateway/ reaches
 * into a transport's folder (only gateway/types.ts and gateway/transports.ts); the climate
 * policy stays free of I/O; HomeKit, Google and Matter do not import each other.
 */
function boundaries() {
  const transportInternals = { group: ['**/gateway/*/**'], message: 'Only src/gateway/ and the simulator use a transport folder; go through gateway/types.ts or gateway/transports.ts.' };
  const mappings = { homekit: 'HomeKit', google: 'Google', matter: 'Matter' };
  const rule = (patterns, paths = []) => ({ 'no-restricted-imports': ['error', { patterns, paths }] });
  const blocks = [
    { files: ['src/home/**', 'src/climate/**', 'src/config/**', 'src/cli/**', 'src/storage/**', 'src/platform.ts', 'src/index.ts'], rules: rule([transportInternals]) },
    ...Object.entries(mappings).map(([folder, name]) => ({
      files: [`src/${folder}/**`],
      rules: rule([
        transportInternals,
        ...Object.keys(mappings)
          .filter((other) => other !== folder)
          .map((other) => ({ group: [`**/${other}/**`], message: `${name} does not import ${mappings[other]}: share through src/home/.` })),
      ]),
    })),
    {
      // The climate policy is pure: decisions from inputs, no files, network, clocks or logs of its own.
      files: ['src/climate/**'],
      ignores: ['src/climate/controller.ts', 'src/climate/store.ts'],
      rules: rule(
        [
          transportInternals,
          { group: ['**/storage/**', '**/home/persistence*', '**/homekit/**', '**/google/**', '**/matter/**', '**/climate/controller*', '**/climate/store*', './controller*', './store*'], message: 'The climate policy does no I/O.' },
        ],
        ['node:fs', 'node:fs/promises', 'fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'mqtt'].map((name) => ({ name, message: 'The climate policy does no I/O.' })),
      ),
    },
  ];
  return blocks;
}
