import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: test tools cannot download their own browsers here (scripts/ensure-chromium.sh installs it). */
export const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless and quiet on the network: without these flags Chromium keeps calling Google's hosts, which this machine refuses. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the browser tests need the system Chromium; install the 'chromium' package (e.g. apt-get install chromium) or set MLOPS_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
