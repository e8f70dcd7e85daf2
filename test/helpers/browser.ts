/**
 * Debian's Chromium driven by playwright-core (never a browser playwright downloads), for the
 * dashboard's end-to-end tests; and where their screenshots go: $FERRY_TEST_ARTIFACTS/web/, by
 * default .artifacts/web/ in the repository (ignored by git; CI keeps its own folder).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/** The flags measured to work headless as root on this project's machines (no GPU, no network). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.FERRY_TEST_CHROMIUM;
  if (!executablePath) throw new Error("FERRY_TEST_CHROMIUM is not set (test/helpers/components.ts)");
  return chromium.launch({ executablePath, args: FLAGS });
}

export function artifactsDir(): string {
  const base =
    process.env.FERRY_TEST_ARTIFACTS ?? fileURLToPath(new URL("../../.artifacts", import.meta.url));
  const dir = join(base, "web");
  mkdirSync(dir, { recursive: true });
  return dir;
}
