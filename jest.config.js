// Jest runs the compiled tests in dist/ (tsc is the only TypeScript compiler
// in the build, so type errors fail the build before any test starts).
const common = { testEnvironment: "node", moduleFileExtensions: ["js", "json"] };

export default {
  // Integration tests wait on real controllers and processes.
  testTimeout: 180_000,
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/dist/test/unit/**/*.test.js"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/dist/test/integration/**/*.test.js"],
      globalSetup: "<rootDir>/dist/test/harness/global-setup.js",
      globalTeardown: "<rootDir>/dist/test/harness/global-teardown.js",
    },
    {
      // Real nodes (kubelet + containerd) running the project's image; root only.
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/dist/test/e2e/**/*.test.js"],
      globalSetup: "<rootDir>/dist/test/harness/e2e-setup.js",
      globalTeardown: "<rootDir>/dist/test/harness/e2e-teardown.js",
    },
  ],
};
