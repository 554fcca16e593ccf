import type { Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";
import { captureOutput } from "../support/output.js";
import { LISTED_CITIZEN, OTHER_CITIZEN, type SeededAccesses, seedSharing } from "../support/sharing-seed.js";

// A citizen's own trail (console/src/views/citizen.tsx, S1/S3) in Chromium: after the
// local demo sign-in, the citizen sees exactly the recorded questions about them — which
// department asked, under which contract, when, answered or refused — each with its
// inclusion proof checked in the page, and not the other citizen's. The ID travels only
// in the body of POST /v1/access (signed by the consortium's auditor on the citizen's
// behalf): no request URL and no line the node logs holds it.

let fx: ConsoleFixture;
let seeded: SeededAccesses;
/** What the node's handlers (in this process) logged while the test seeded the ledger: every level. */
let seedingLog = "";
beforeAll(async () => {
  // Every level, so that a handler logging a request would show here (local mode: WARN).
  process.env.LOG_LEVEL = "DEBUG";
  const output = captureOutput();
  try {
    fx = await startConsole();
    seeded = await seedSharing(fx.node);
  } finally {
    seedingLog = `${output.stdout}${output.stderr}`;
    output.stop();
  }
}, 120_000);
afterAll(async () => {
  await fx?.stop();
  delete process.env.LOG_LEVEL;
});

/** Runs `test` with the node's log lines captured; returns them. */
async function logsOf(test: () => Promise<void>): Promise<string> {
  const output = captureOutput();
  try {
    await test();
    return `${output.stdout}${output.stderr}`;
  } finally {
    output.stop();
  }
}

interface Seen {
  urls: string[];
  trailRequests: Array<{ department: string | undefined; body: string | null }>;
}

/** Opens #/citizen acting (in the header) as `as`, recording every request the page makes. */
async function openCitizen(as: string, lang: "en" | "zh" = "en"): Promise<{ page: Page; seen: Seen }> {
  const seen: Seen = { urls: [], trailRequests: [] };
  const page = await fx.open({ as, lang, hash: "#/citizen" });
  page.on("request", (r: Request) => {
    seen.urls.push(r.url());
    if (r.method() === "POST" && new URL(r.url()).pathname === "/v1/access")
      seen.trailRequests.push({ department: r.headers()["zhixin-department"], body: r.postData() });
  });
  await page.locator("[data-testid=citizen-id]").waitFor();
  return { page, seen };
}

async function signIn(page: Page, id: string): Promise<void> {
  await page.locator("[data-testid=citizen-id]").fill(id);
  await page.locator("[data-testid=citizen-submit]").click();
  await page.locator("[data-testid=citizen-trail]").waitFor();
}

async function rows(
  page: Page,
): Promise<Array<{ entry: string | null; text: string; proof: string | null }>> {
  return Promise.all(
    (await page.locator("[data-testid=citizen-access]").all()).map(async (r) => ({
      entry: await r.getAttribute("data-entry"),
      text: (await r.textContent()) ?? "",
      proof: await r.locator("[data-proof]").getAttribute("data-proof"),
    })),
  );
}

const neitherCitizen = (text: string) => {
  expect(text).not.toContain(OTHER_CITIZEN);
  expect(text).not.toContain(LISTED_CITIZEN);
};

describe("a citizen's own trail", () => {
  it("shows exactly the questions about the signed-in citizen, with proofs that hold, and never the ID in a URL or a log", async () => {
    // The node logged while the ledger was seeded (its seal, at INFO) — the matches sent
    // both IDs in their bodies — and no line names either citizen.
    expect(seedingLog).toContain('"message":"seal"');
    neitherCitizen(seedingLog);
    const log = await logsOf(async () => {
      const { page, seen } = await openCitizen("hf-haikou");
      expect(await page.locator(".citizen-signin h3").textContent()).toContain("Demo sign-in");
      await signIn(page, OTHER_CITIZEN);

      const shown = await rows(page);
      expect(shown.map((r) => r.entry)).toEqual([seeded.otherNo, seeded.otherRefused]);
      expect(shown[0]?.text).toContain("hf-sanya");
      expect(shown[0]?.text).toContain("console-blacklist");
      expect(shown[0]?.text).toContain("answered: no");
      expect(shown[1]?.text).toContain("refused: FIELD_NOT_ALLOWED");
      expect(shown.map((r) => r.proof)).toEqual(["holds", "holds"]);
      expect(shown[0]?.text).toMatch(/Included in block \d+ at position \d+/);
      expect(await page.locator("[data-testid=citizen-count]").textContent()).toContain("2 recorded");
      // The ID is on screen only masked, and the page keeps it nowhere but in memory.
      expect(await page.locator("[data-testid=citizen-signed-in]").textContent()).toContain(
        "4601**********0022",
      );
      expect(await page.locator("main").textContent()).not.toContain(OTHER_CITIZEN);
      expect(await page.evaluate("location.href")).not.toContain(OTHER_CITIZEN);
      expect(await page.evaluate("JSON.stringify({...localStorage})")).not.toContain(OTHER_CITIZEN);
      await fx.screenshot(page, "citizen-trail");

      // Signed by the auditor on the citizen's behalf, whoever the header names; the ID in the body only.
      expect(seen.trailRequests).toEqual([
        { department: "auditor", body: JSON.stringify({ subject: OTHER_CITIZEN }) },
      ]);
      expect(seen.urls.length).toBeGreaterThan(1);
      neitherCitizen(seen.urls.join("\n"));
      expect(pageErrors(page)).toEqual([]);
    });
    neitherCitizen(log);
  });

  it("shows the other citizen only their own question, and opens its entry's full proof", async () => {
    const log = await logsOf(async () => {
      const { page, seen } = await openCitizen("auditor", "zh");
      await signIn(page, LISTED_CITIZEN);
      const shown = await rows(page);
      expect(shown.map((r) => r.entry)).toEqual([seeded.listedYes]);
      expect(shown[0]?.text).toContain("已答复：是");
      await page.locator("[data-testid=citizen-access] a").click();
      await expect.poll(() => page.evaluate("location.hash")).toBe(`#/entries/${seeded.listedYes}`);
      neitherCitizen(seen.urls.join("\n"));
      expect(pageErrors(page)).toEqual([]);
    });
    neitherCitizen(log);
  });

  it("signs a demo citizen in with one click, says when nobody asked, and forgets the ID on sign-out", async () => {
    const log = await logsOf(async () => {
      const { page } = await openCitizen("hf-sanya");
      // The header offers no member to act as here: the page asks on the citizen's behalf.
      expect(await page.locator("[data-testid=identity]").count()).toBe(0);
      expect(await page.locator("[data-testid=identity-citizen]").textContent()).toContain(
        "Acting as a citizen",
      );
      await page.locator("[data-testid=demo-citizen]").first().click();
      await page.locator("[data-testid=citizen-trail]").waitFor();
      expect(await page.locator("[data-testid=citizen-count]").textContent()).toContain(
        "No department has asked the ledger about you",
      );
      await page.locator("[data-testid=citizen-signout]").click();
      expect(await page.locator("[data-testid=citizen-id]").inputValue()).toBe("");
      expect(await page.locator("[data-testid=citizen-trail]").count()).toBe(0);
      expect(pageErrors(page)).toEqual([]);
    });
    expect(log).not.toContain("460100199001011234");
  });

  it("refuses an empty ID before asking anything", async () => {
    await logsOf(async () => {
      const { page, seen } = await openCitizen("hf-sanya");
      await page.locator("[data-testid=citizen-submit]").click();
      expect(await page.locator("#signin-problem").textContent()).toContain("Type an ID number first");
      expect(seen.trailRequests).toEqual([]);
      expect(pageErrors(page)).toEqual([]);
    });
  });
});
