import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";
import { BLACKLIST, LICENCE, type SeededAccesses, seedSharing } from "../support/sharing-seed.js";

// The Sharing view (console/src/views/sharing.tsx) in Chromium: a department sees the
// contracts it is a party to, grouped by where they stand, each with its version history
// (who proposed and approved each version, when, its status and document), and the access
// trail of its records, each access linking to its entry; an auditor sees all of them.
// The page reads GET /v1/contracts and GET /v1/accesses, signed in the browser.

let fx: ConsoleFixture;
let seeded: SeededAccesses;
beforeAll(async () => {
  fx = await startConsole();
  seeded = await seedSharing(fx.node);
}, 120_000);
afterAll(async () => {
  await fx?.stop();
});

async function openSharing(as: string, lang: "en" | "zh" = "en"): Promise<Page> {
  const page = await fx.open({ as, lang, hash: "#/sharing" });
  await page.locator("[data-testid=contracts]").waitFor();
  await page.locator("[data-testid=trail]").waitFor();
  return page;
}

/** Each matching element's attribute `name`, in document order. */
async function attrs(page: Page, selector: string, name: string): Promise<Array<string | null>> {
  return Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
}
const contractIds = (page: Page) => attrs(page, "[data-testid=contract]", "data-contract");
const accessIds = (page: Page) => attrs(page, "[data-testid=access]", "data-entry");

describe("the Sharing view", () => {
  it("shows a consumer its contract with every version's history, and the trail of its questions", async () => {
    const page = await openSharing("hf-sanya");
    expect(await contractIds(page)).toEqual([BLACKLIST.id]);
    const contract = page.locator(`[data-contract=${BLACKLIST.id}]`);
    expect(await contract.locator("xpath=ancestor::section[@data-group]").getAttribute("data-group")).toBe(
      "effective",
    );
    const versions = contract.locator("[data-testid=version]");
    expect(await attrs(page, `[data-contract=${BLACKLIST.id}] [data-testid=version]`, "data-status")).toEqual(
      ["approved", "proposed"],
    );
    const first = await versions.nth(0).textContent();
    expect(first).toContain("hf-sanya");
    expect(first).toContain("hf-haikou");
    expect(await versions.nth(1).textContent()).toContain("not approved");
    await versions.nth(1).locator("summary").click();
    expect(await versions.nth(1).locator("pre").textContent()).toContain("second version");

    expect(await accessIds(page)).toEqual([seeded.listedYes, seeded.otherNo, seeded.otherRefused]);
    const results = await page.locator("[data-testid=access] [data-result]").allTextContents();
    expect(results.map((r) => r.trim())).toEqual([
      "✓ answered: yes",
      "○ answered: no",
      "✕ refused: FIELD_NOT_ALLOWED",
    ]);
    expect(await page.locator("[data-testid=access]").first().textContent()).toContain("sealed in block");
    await fx.screenshot(page, "sharing");

    await page.locator(`[data-entry="${seeded.otherRefused}"] [data-testid=access-entry]`).click();
    await expect.poll(() => page.evaluate("location.hash")).toBe(`#/entries/${seeded.otherRefused}`);
    expect(pageErrors(page)).toEqual([]);
  });

  it("shows the provider the same contract and the questions asked about its records", async () => {
    const page = await openSharing("hf-haikou");
    expect(await contractIds(page)).toEqual([BLACKLIST.id]);
    expect(await accessIds(page)).toEqual([seeded.listedYes, seeded.otherNo, seeded.otherRefused]);
    expect(pageErrors(page)).toEqual([]);
  });

  it("shows a revoked contract as revoked, and no access to a department that has none", async () => {
    const page = await openSharing("market-regulation");
    expect(await contractIds(page)).toEqual([LICENCE.id]);
    const contract = page.locator(`[data-contract=${LICENCE.id}]`);
    expect(await contract.locator("xpath=ancestor::section[@data-group]").getAttribute("data-group")).toBe(
      "revoked",
    );
    expect(await contract.locator("[data-testid=contract-effective]").textContent()).toContain("Revoked at");
    expect(await accessIds(page)).toEqual([]);
    expect(await page.locator("[data-testid=trail]").textContent()).toContain(
      "No question has been recorded",
    );
    expect(pageErrors(page)).toEqual([]);
  });

  it("shows an auditor every contract and every access, in Chinese", async () => {
    const page = await openSharing("auditor", "zh");
    expect(await page.locator("#sharing-title").textContent()).toBe("数据共享合约与访问记录");
    expect(await contractIds(page)).toEqual([BLACKLIST.id, LICENCE.id]);
    expect(await accessIds(page)).toEqual([seeded.listedYes, seeded.otherNo, seeded.otherRefused]);
    expect(await page.locator("[data-testid=access] [data-result=refused]").textContent()).toContain(
      "已拒绝",
    );
    expect(pageErrors(page)).toEqual([]);
  });

  it("is reachable by keyboard: every entry link and document toggle takes focus", async () => {
    const page = await openSharing("auditor");
    const focusable = await page.evaluate(
      "[...document.querySelectorAll('.sharing a, .sharing summary')].map((e) => e.tabIndex >= 0)",
    );
    expect(focusable).not.toContain(false);
    expect((focusable as boolean[]).length).toBeGreaterThan(6);
    expect(pageErrors(page)).toEqual([]);
  });
});
