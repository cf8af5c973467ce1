/**
 * Debian's chromium driven by playwright-core, for the tests that need a real browser: whether it is
 * installed (tests skip, saying so, where it is not) and one launch with the flags that keep it offline.
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Warns once per test file that its browser tests are skipped. */
export function warnWithoutChromium(file: string): void {
  if (!HAVE_CHROMIUM)
    console.warn(
      `${file} tests skipped: ${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`,
    );
}

/** Headless chromium with its profile in `profileDir`: no GPU, QUIC, sync, updates or background requests. */
export function launchChromium(
  profileDir: string,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    ...(viewport ? { viewport } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
