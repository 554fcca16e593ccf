import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { type CliRun, zhixinAt } from "./cli.js";
import { startTestNode, type TestNode } from "./local-node.js";

/**
 * The console's tests drive a real Chromium (Debian's, which .ci/run installs; Playwright
 * cannot download its own here) against a local node serving the built console
 * (test/support/console-build.ts builds it first). Screenshots go to test-artifacts/console/.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CONSOLE_DIR = join(ROOT, "dist", "console");
export const SCREENSHOTS = join(ROOT, "test-artifacts", "console");

/**
 * Where Chromium is: ZHIXIN_CHROMIUM, else Debian's /usr/bin/chromium. As root (CI) it
 * needs --no-sandbox; the network flags keep it from calling Google's hosts, which this
 * machine's closed network refuses (env notes).
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.ZHIXIN_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

export interface ConsoleFixture {
  node: TestNode;
  browser: Browser;
  /** A fresh page at the console, in `lang`, acting as `as` (default: the auditor). */
  open(options?: { as?: string; lang?: "zh" | "en"; hash?: string }): Promise<Page>;
  /** `zhixin <args>` against this node (test/support/cli.ts zhixinAt). */
  zhixin(args: string[], env?: Record<string, string>, stdin?: string): Promise<CliRun>;
  /** The node's trust root as `zhixin trust export` prints it: what a user loads into the page. */
  trustRoot(): Promise<string>;
  /** Saves a full-page screenshot as test-artifacts/console/<name>.png. */
  screenshot(page: Page, name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startConsole(options: { introduceKeys?: boolean } = {}): Promise<ConsoleFixture> {
  const node = await startTestNode({ consoleDir: CONSOLE_DIR, introduceKeys: options.introduceKeys ?? true });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await node.stop();
    throw e;
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  const zhixin = zhixinAt(node.url, node.node.home, node.consortiumFile);
  return {
    node,
    browser,
    zhixin,
    async trustRoot() {
      const run = await zhixin(["trust", "export"]);
      if (run.code !== 0) throw new Error(`zhixin trust export: ${run.stderr}`);
      return run.stdout;
    },
    async open({ as = "auditor", lang = "en", hash = "#/overview" } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: lang });
      // Chosen identity and language as the page keeps them (console/src/app.tsx).
      await context.addInitScript(
        ([who, l]) => {
          // Runs in the page; this file is typed for Node, without the DOM's names.
          const page = globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } };
          page.localStorage.setItem("zhixin.identity", who as string);
          page.localStorage.setItem("zhixin.lang", l as string);
        },
        [as, lang],
      );
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        // Chromium logs every 4xx/5xx fetch as "Failed to load resource"; the API's refusals
        // (404 before the first checkpoint, say) are the page's to show, so failed loads are
        // judged by URL below instead.
        if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
      });
      page.on("response", (r) => {
        if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith("/v1/"))
          errors.push(`${r.status()} ${r.url()}`);
      });
      (page as Page & { consoleErrors?: string[] }).consoleErrors = errors;
      await page.goto(`${node.url}/console/${hash}`);
      return page;
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async stop() {
      await browser.close();
      await node.stop();
    },
  };
}

/**
 * Errors the page logged (uncaught, or console.error), and any file of the console or the
 * node that failed to load (not the API's answers): a test asserts there are none.
 */
export function pageErrors(page: Page): string[] {
  return (page as Page & { consoleErrors?: string[] }).consoleErrors ?? [];
}
