/** Native ESM jest (see ../shared/handbook/TOOLCHAIN.md): run with --experimental-vm-modules. */
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/fixtures/'],
  // Integration tests spawn real tools and servers; two workers match the 2-core CI machine.
  maxWorkers: 2,
  testTimeout: 60000,
};
