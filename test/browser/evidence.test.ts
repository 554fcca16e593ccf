import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTL, sha256Bytes, toHex, utf8 } from "#chain";
import { EVIDENCE_REFUSALS } from "../../console/src/views/evidence-refusals.js";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import { openTrustedCheckpoint, parseEvidenceBundle, parseTrustRoot } from "../../lib/evidence/index.js";
import { witnessNames } from "../../lib/witness/index.js";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";
import { zhixinAt } from "../support/cli.js";
import { startNodeProcess } from "../support/node-process.js";

// The evidence check (console/src/views/evidence.tsx, S6) in Chromium: the internet court
// records a file's SHA-256, the block is sealed and its checkpoint witnessed; the user
// loads the trust root `zhixin trust export` prints and drops the bundle `zhixin evidence`
// wrote with the file. The page proves it with lib/evidence and WebCrypto, sending nothing;
// a bundle of another ledger (a second `npm start`: same log name, its own sealer and witnesses)
// and a changed file are refused with their codes.

const EVIDENCE = utf8("Screenshot of the seller page, 2026-12-01 10:00, case 2026-ZJ0192-1234\n");
const EDITED = utf8("Screenshot of the seller page, edited\n");

let fx: ConsoleFixture;
const recorded = { id: "", receivedAt: "", keyId: "", logIndex: -1, size: -1, bundle: "", trustRoot: "" };
let witnessed = { count: -1, of: -1, quorum: -1 };
/** A bundle of the same record by the same member, from another ledger of the same log name. */
let otherBundle = "";

/** internet-court records `file`'s digest with `zhixin`, seals it and fetches its evidence bundle. */
async function recordDigest(zhixin: ConsoleFixture["zhixin"], file: Uint8Array) {
  const data = {
    sha256: toHex(sha256Bytes(file)),
    capturedAt: "2026-12-01T10:00:00Z",
    caseId: "2026-ZJ0192-1234",
    mediaType: "image/png",
  };
  const run = async (args: string[], stdin?: string) => {
    const r = await zhixin(args, {}, stdin);
    expect(r.code, `zhixin ${args.join(" ")}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const receipt = JSON.parse(
    await run(
      ["submit", "--as", "internet-court", "--type", "evidence.digest", "--file", "-"],
      JSON.stringify(data),
    ),
  );
  await run(["seal"]);
  const id = receipt.entries[0].id as string;
  return {
    id,
    receivedAt: receipt.receivedAt as string,
    bundle: await run(["evidence", id, "--as", "internet-court"]),
  };
}

beforeAll(async () => {
  fx = await startConsole();
  const { id, receivedAt, bundle } = await recordDigest(fx.zhixin, EVIDENCE);
  const entry = await fx.node.send({ method: "GET", path: `/v1/entries/${id}`, as: "internet-court" });
  Object.assign(recorded, {
    id,
    receivedAt,
    keyId: await fx.node.keyIdOf("internet-court"),
    logIndex: entry.body.sealed.logIndex,
    size: parseEvidenceBundle(bundle).entry.inclusion.size,
    bundle,
    trustRoot: await fx.trustRoot(),
  });
  // How many witnesses cosigned, by node:crypto: what the page must count with WebCrypto.
  const root = parseTrustRoot(recorded.trustRoot);
  const { quorum } = openTrustedCheckpoint(parseEvidenceBundle(bundle).checkpoint, root, {
    verifySignature: keySignatureCheckOf(INTL),
  });
  witnessed = {
    count: quorum.witnessed.length,
    of: witnessNames(root.witnesses).length,
    quorum: root.quorum,
  };

  // Another ledger (`npm start` in a process of its own: one node per process): its own
  // sealer and witness keys under the same log name.
  const home = await mkdtemp(join(tmpdir(), "zhixin-evidence-other-"));
  try {
    const other = await startNodeProcess({ home, sealInterval: "off" });
    try {
      otherBundle = (await recordDigest(zhixinAt(other.url, home), EVIDENCE)).bundle;
    } finally {
      await other.stop();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

afterAll(async () => {
  await fx?.stop();
});

/** Every request the page makes from now on. */
function watchRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (r) => urls.push(`${r.method()} ${r.url()}`));
  return urls;
}

/** Drops files on the evidence view's drop target, as a drag from the desktop does. */
async function drop(page: Page, files: Array<{ name: string; type: string; bytes: Uint8Array }>) {
  const spec = JSON.stringify(
    files.map((f) => ({ name: f.name, type: f.type, b64: Buffer.from(f.bytes).toString("base64") })),
  );
  const transfer = await page.evaluateHandle(`(() => {
    const dt = new DataTransfer();
    for (const f of ${spec}) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  })()`);
  const target = page.locator("[data-testid=evidence-drop]");
  await target.dispatchEvent("dragenter", { dataTransfer: transfer });
  await target.dispatchEvent("dragover", { dataTransfer: transfer });
  await target.dispatchEvent("drop", { dataTransfer: transfer });
}

const result = (page: Page) => page.locator("[data-testid=evidence-result]");

async function verdictOf(page: Page): Promise<{ verdict: string | null; code: string | null }> {
  await result(page).waitFor();
  return {
    verdict: await result(page).getAttribute("data-verdict"),
    code: await result(page).getAttribute("data-code"),
  };
}

describe("the evidence check, in the browser", () => {
  it("proves a dropped bundle and its original file against the trust root the user loads, sending nothing", async () => {
    const page = await fx.open({ hash: "#/evidence", lang: "en", as: "hf-haikou" });
    // No trust root held: the view says so and offers a file input of its own.
    await expect
      .poll(() => page.locator("[data-testid=evidence-root]").textContent())
      .toContain("No trust root is held");
    await page.locator("[data-testid=evidence-trust-root-file]").setInputFiles({
      name: "trust-root.json",
      mimeType: "application/json",
      buffer: Buffer.from(recorded.trustRoot),
    });
    await expect
      .poll(() => page.locator("[data-testid=evidence-root]").textContent())
      .toBe("Checking against your trust root of zhixin.example/demo (file trust-root.json).");

    const requests = watchRequests(page);
    await drop(page, [
      { name: "evidence.png", type: "image/png", bytes: EVIDENCE },
      { name: "evidence.bundle.json", type: "application/json", bytes: utf8(recorded.bundle) },
    ]);
    expect(await verdictOf(page)).toEqual({ verdict: "verified", code: null });
    const { count, of, quorum } = witnessed;
    expect(count).toBeGreaterThanOrEqual(quorum);
    expect(await page.locator("[data-testid=evidence-sentence]").textContent()).toBe(
      `This file was recorded by internet-court at ${recorded.receivedAt}, signed with key ${recorded.keyId}, ` +
        `included in the log at position ${recorded.logIndex} of ${recorded.size}, ` +
        `witnessed by ${count} of ${of} witnesses (${quorum} required).`,
    );
    expect(await page.locator("[data-testid=evidence-file]").textContent()).toBe(
      `The file's SHA-256 ${toHex(sha256Bytes(EVIDENCE))} is the one the record holds in "sha256".`,
    );
    expect(await page.locator("[data-testid=evidence-caveat]").textContent()).toContain(
      "The signing key was judged by the key records in this bundle only.",
    );
    expect(await page.locator("[data-testid=evidence-details]").textContent()).toContain(recorded.id);

    await page.locator("[data-testid=lang]").selectOption("zh");
    await expect
      .poll(() => page.locator("[data-testid=evidence-sentence]").textContent())
      .toBe(
        `该文件由 internet-court 于 ${recorded.receivedAt} 登记，使用密钥 ${recorded.keyId} 签名，` +
          `收录于账本第 ${recorded.logIndex} 号位置（共 ${recorded.size} 条），经 ${of} 个见证方中的 ${count} 个见证（至少需要 ${quorum} 个）。`,
      );
    await page.locator("[data-testid=lang]").selectOption("en");
    await fx.screenshot(page, "evidence-verified");
    expect(requests).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  });

  it("refuses a bundle from another ledger, and a file that is not the recorded one", async () => {
    const page = await fx.open({ hash: "#/evidence", lang: "en" });
    // This time the trust root comes through the header's control.
    await page.locator("[data-testid=trust-root-file]").setInputFiles({
      name: "trust-root.json",
      mimeType: "application/json",
      buffer: Buffer.from(recorded.trustRoot),
    });
    await page.locator("[data-testid=evidence-root]").getByText("Checking against your trust root").waitFor();
    const requests = watchRequests(page);

    // By the keyboard-reachable input: a bundle of the same record by another ledger.
    await page.locator("[data-testid=evidence-bundle-file]").setInputFiles({
      name: "other.bundle.json",
      mimeType: "application/json",
      buffer: Buffer.from(otherBundle),
    });
    expect(await verdictOf(page)).toEqual({ verdict: "refused", code: "CHECKPOINT_UNTRUSTED" });
    expect(await page.locator("[data-testid=evidence-refusal]").textContent()).toBe(
      EVIDENCE_REFUSALS.CHECKPOINT_UNTRUSTED.en,
    );
    expect(await page.locator("[data-testid=evidence-bundle-holds]").count()).toBe(0);
    await fx.screenshot(page, "evidence-refused");

    // The genuine bundle with a changed file: the bundle holds, the file does not.
    await page.locator("[data-testid=evidence-bundle-file]").setInputFiles({
      name: "evidence.bundle.json",
      mimeType: "application/json",
      buffer: Buffer.from(recorded.bundle),
    });
    await page
      .locator("[data-testid=evidence-original-file]")
      .setInputFiles({ name: "edited.png", mimeType: "image/png", buffer: Buffer.from(EDITED) });
    await expect.poll(() => result(page).getAttribute("data-code")).toBe("FILE_MISMATCH");
    expect(await page.locator("[data-testid=evidence-refusal]").textContent()).toBe(
      EVIDENCE_REFUSALS.FILE_MISMATCH.en,
    );
    expect(await page.locator("[data-testid=evidence-bundle-holds]").textContent()).toContain(recorded.id);
    await page.locator("[data-testid=lang]").selectOption("zh");
    await expect
      .poll(() => page.locator("[data-testid=evidence-refusal]").textContent())
      .toBe(EVIDENCE_REFUSALS.FILE_MISMATCH.zh);
    await fx.screenshot(page, "evidence-file-mismatch");

    // Removing the changed file leaves the record proven.
    await page.locator("[data-testid=evidence-original-file-chosen] button").click();
    await expect.poll(() => result(page).getAttribute("data-verdict")).toBe("verified");
    expect(requests).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  });
});
