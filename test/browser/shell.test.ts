import { request } from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";

let fx: ConsoleFixture;
beforeAll(async () => {
  fx = await startConsole();
});
afterAll(async () => {
  await fx?.stop();
});

describe("the console's shell", () => {
  it("is served at /console/, signs in as a demo member and switches language", async () => {
    const page: Page = await fx.open({ as: "hf-haikou", lang: "zh" });
    await expect.poll(() => page.locator("h1").textContent()).toBe("智信账本控制台");
    expect(await page.locator("[data-testid=identity]").inputValue()).toBe("hf-haikou");
    await page.locator("[data-testid=lang]").selectOption("en");
    await expect.poll(() => page.locator("h1").textContent()).toBe("Zhixin ledger console");
    expect(await page.evaluate("document.documentElement.lang")).toBe("en");
    expect(pageErrors(page)).toEqual([]);
  });

  it("refuses the demo keys to a page that is not on loopback", async () => {
    // A rebound DNS name reaches loopback with its own Host (fetch may not set Host).
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${fx.node.url}/local/identities`,
        { headers: { host: "evil.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(rebound).toBe(403);
    const same = await fetch(`${fx.node.url}/local/identities`);
    expect(same.status).toBe(200);
    expect(same.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves files of the built console only: a path out of it is 404, whatever its spelling", async () => {
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${fx.node.url}${path}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status("/console/config.json")).toBe(200);
    for (const path of [
      "/console/../package.json",
      "/console/%2e%2e/%2e%2e/package.json",
      "/console/..%2f..%2fpackage.json",
    ])
      expect(await status(path), path).toBe(404);
  });
});
