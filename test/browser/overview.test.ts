import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";

// The overview (console/src/views/overview.tsx) and the blocks view in Chromium: the
// ledger's figures, the published checkpoint's signers checked against the trust root the
// user loads, the two charts, and the way from a block to one of its entries.

const CERT = "housing-fund.deposit-certificate";
const record = (i: number) => ({
  type: CERT,
  data: { citizen: `46010019900101${String(1000 + i)}`, months: 12 + i, status: "active" },
});

let fx: ConsoleFixture;
/** GET /v1/health as the test sees it, after the seals. */
let health: { height: number; logSize: number };
beforeAll(async () => {
  fx = await startConsole();
  // The key records the node writes as it starts go in a block of their own first.
  expect(await fx.node.seal()).toMatchObject({ sealed: true });
  // Three blocks of different sizes, so the charts have bars and intervals to draw.
  for (const [as, n] of [
    ["hf-haikou", 3],
    ["hf-sanya", 1],
    ["hf-haikou", 5],
  ] as const) {
    const res = await fx.node.submit(
      as,
      Array.from({ length: n }, (_, i) => record(i)),
    );
    expect(res.status).toBe(202);
    expect(await fx.node.seal()).toMatchObject({ sealed: true, entries: n });
  }
  health = (await fx.node.send({ method: "GET", path: "/v1/health", unsigned: true })).body;
});
afterAll(async () => {
  await fx?.stop();
});

async function loadTrustRoot(page: Page): Promise<void> {
  await page.locator("[data-testid=trust-root-file]").setInputFiles({
    name: "trust-root.json",
    mimeType: "application/json",
    buffer: Buffer.from(await fx.trustRoot()),
  });
}

const signers = (page: Page) =>
  page.locator("[data-testid=signer]").evaluateAll((rows) =>
    rows.map((r) => {
      const el = r as unknown as { getAttribute(n: string): string | null };
      return [el.getAttribute("data-name"), el.getAttribute("data-role"), el.getAttribute("data-state")];
    }),
  );

describe("the overview", () => {
  it("shows height, log size, both charts, and the checkpoint's signers valid once a trust root is loaded", async () => {
    const page = await fx.open({ as: "auditor", lang: "en", hash: "#/overview" });
    await expect.poll(() => page.locator("[data-testid=height]").textContent()).toBe(String(health.height));
    expect(await page.locator("[data-testid=log-size]").textContent()).toBe(String(health.logSize));
    expect(await page.locator("[data-testid=published]").textContent()).toBe(`${health.logSize} entries`);
    expect(await page.locator("[data-testid=checkpoint-size]").textContent()).toBe(String(health.logSize));
    // uPlot draws each chart on a canvas; the summary and the table are its text alternative.
    for (const chart of ["chart-entries", "chart-interval"]) {
      expect(await page.locator(`[data-testid=${chart}] canvas`).count()).toBeGreaterThan(0);
    }
    const last = Math.min(health.height, 30);
    expect(await page.locator("[data-testid=chart-entries] tbody tr").count()).toBe(last);
    expect(await page.locator("[data-testid=chart-entries-summary]").textContent()).toMatch(
      new RegExp(`^Blocks 1–${health.height}: 1 to \\d+ entries per block, ${health.logSize} in all\\.$`),
    );

    // Without a trust root nothing is claimed about the signatures.
    expect(await page.locator("[data-testid=checkpoint-verdict]").getAttribute("data-state")).toBe(
      "unchecked",
    );
    expect(new Set((await signers(page)).map((s) => s[2]))).toEqual(new Set(["unchecked"]));

    await loadTrustRoot(page);
    await expect
      .poll(() => page.locator("[data-testid=checkpoint-verdict]").getAttribute("data-state"))
      .toBe("valid");
    expect(await signers(page)).toEqual([
      ["zhixin.example/demo", "sealer", "valid"],
      ["zhixin-witness/demo/hf-haikou", "witness", "valid"],
      ["zhixin-witness/demo/hf-sanya", "witness", "valid"],
      ["zhixin-witness/demo/internet-court", "witness", "valid"],
    ]);
    await fx.screenshot(page, "overview");
    expect(pageErrors(page)).toEqual([]);
  });

  it("speaks Chinese", async () => {
    const page = await fx.open({ as: "auditor", lang: "zh", hash: "#/overview" });
    await expect.poll(() => page.locator("#overview-title").textContent()).toBe("账本总览");
    expect(await page.locator("[data-testid=chart-entries] figcaption").textContent()).toBe(
      "每个区块的条目数",
    );
    expect(pageErrors(page)).toEqual([]);
  });
});

describe("the blocks view", () => {
  it("lists the blocks newest first, opens one and links each entry to its page", async () => {
    const page = await fx.open({ as: "auditor", lang: "en", hash: "#/blocks" });
    await expect
      .poll(() => page.locator("[data-testid=block-row]").count())
      .toBe(Math.min(health.height, 20));
    expect(await page.locator("[data-testid=block-row]").first().getAttribute("data-height")).toBe(
      String(health.height),
    );
    await page.locator(`[data-testid=block-row][data-height="${health.height}"] a`).click();
    await expect.poll(() => page.locator("[data-testid=block-entry]").count()).toBe(5);
    expect(await page.locator("[data-testid=block-count]").textContent()).toBe("5");
    const id = await page.locator("[data-testid=block-entry]").first().getAttribute("data-id");
    await page.locator("[data-testid=block-entry] a").first().click();
    await expect.poll(() => page.locator("#entry-title").textContent()).toBe(`Entry ${id}`);
    expect(await page.locator("[data-testid=entry-writer]").textContent()).toBe("hf-haikou");
    expect(await page.locator("[data-testid=entry-type]").textContent()).toBe(CERT);
    expect(pageErrors(page)).toEqual([]);
  });
});
