// Playwright drives Debian's Chromium (never a downloaded browser) against a server
// that global-setup.mjs starts on a free port with a fresh SQLite file and seeds.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  globalSetup: './global-setup.mjs',
  // The machine has 2 cores, and every spec shares one server: one worker.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  // Generous: the machine is small and often busy.
  expect: { timeout: 8_000 },
  reporter: 'list',
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 10_000,
    // Traces cost time on every test; PW_TRACE=1 keeps them for the failures.
    trace: process.env.PW_TRACE ? 'retain-on-failure' : 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    },
  },
});
