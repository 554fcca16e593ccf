import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fromBase64, parseJson } from "#chain";
import { main } from "../../../cli/zhixin.js";
import { parseEvidenceBundle } from "../../../lib/evidence/index.js";
import { captureOutput } from "../../support/output.js";
import type { VectorCase } from "../../vectors/evidence/cases.js";

// `zhixin verify --bundle`, run in-process on the evidence vectors (test/vectors/evidence):
// every case's outcome as the CLI reports it — exit 0 and what is proven, or exit 1 and the
// case's code — with fetch watched to show that no request is made, whatever ZHIXIN_URL
// says; the --payload check; and the usage mistakes, exit 2.

const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/evidence/cases.json", import.meta.url), "utf8"),
) as { trustRoot: string; cases: VectorCase[] };

/** Nothing listens there; and fetch is watched besides. */
const ENV = { ZHIXIN_URL: "http://127.0.0.1:9", ZHIXIN_HOME: "/nonexistent/home" };

let work: string;
let root: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "zhixin-cli-evidence-"));
  root = join(work, "trust-root.json");
  await writeFile(root, vectors.trustRoot);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, content);
  return path;
}

async function zhixin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const fetchSpy = vi.spyOn(globalThis, "fetch");
  const output = captureOutput();
  try {
    const code = await main(args, ENV);
    expect(fetchSpy).not.toHaveBeenCalled();
    return { code, stdout: output.stdout, stderr: output.stderr };
  } finally {
    output.stop();
  }
}

describe("zhixin verify --bundle on the evidence vectors", () => {
  it.each(vectors.cases.map((c, i) => [i, c.description, c] as const))("case %i: %s", async (i, _, c) => {
    const args = ["verify", "--bundle", await file(`case-${i}.json`, c.bundle), "--trust-root", root];
    if (c.file !== undefined) args.push("--file", await file(`case-${i}.file`, fromBase64(c.file)));
    if (c.field !== undefined) args.push("--field", c.field);
    if (c.minWitnesses !== undefined) args.push("--min-witnesses", String(c.minWitnesses));
    const run = await zhixin(args);
    const out = JSON.parse(run.stdout);
    if (c.expect === "ok") {
      expect([run.code, out.ok], run.stderr).toEqual([0, true]);
      expect(run.stderr).toMatch(/^This (file|record|access entry).* was recorded by /);
      expect(out.entry.id).toBe(parseEvidenceBundle(c.bundle).entry.envelope.id);
    } else {
      expect([run.code, out.ok, out.error.code]).toEqual([1, false, c.expect]);
      expect(out.error.pointer).toBe(c.pointer);
      expect(run.stderr).toContain(`zhixin: ${c.expect}: `);
    }
  });

  it("says what a proven file is, in one sentence", async () => {
    const c = vectors.cases[0] as VectorCase;
    const run = await zhixin([
      "verify",
      "--bundle",
      await file("first.json", c.bundle),
      "--trust-root",
      root,
      "--file",
      await file("first.file", fromBase64(c.file as string)),
    ]);
    const { entry, signingKey, checkpoint } = JSON.parse(run.stdout);
    expect(run.stderr.split("\n")[0]).toBe(
      `This file was recorded by ${entry.writer} at ${entry.receivedAt}, signed with key ${signingKey.keyId}, ` +
        `included in the log at position ${entry.logIndex}, witnessed by ${checkpoint.witnesses.length} of 3 witnesses (2 needed).`,
    );
  });
});

describe("zhixin verify --bundle --payload", () => {
  const [withPayload, withheld] = vectors.cases as [VectorCase, VectorCase];
  const data = () => {
    const payload = parseEvidenceBundle(withPayload.bundle).entry.payload as string;
    return parseJson(payload) as Record<string, unknown>;
  };

  it("checks the record's data, in any spelling, and reads the file's digest from it when the bundle has none", async () => {
    const spread = await file("data.json", JSON.stringify(data(), null, 2));
    const evidenceFile = await file("evidence.file", fromBase64(withPayload.file as string));
    const bundle = await file("withheld.json", withheld.bundle);
    expect(
      (await zhixin(["verify", "--bundle", bundle, "--trust-root", root, "--file", evidenceFile])).code,
    ).toBe(1);
    const run = await zhixin([
      "verify",
      "--bundle",
      bundle,
      "--trust-root",
      root,
      "--payload",
      spread,
      "--file",
      evidenceFile,
    ]);
    expect([run.code, JSON.parse(run.stdout).file.field], run.stderr).toEqual([0, "sha256"]);
  });

  it("refuses data that is not the record's, or not JSON: PAYLOAD_MISMATCH", async () => {
    const bundle = await file("with-payload.json", withPayload.bundle);
    for (const [name, text] of [
      ["other.json", JSON.stringify({ ...data(), caseId: "another case" })],
      ["not-json.json", "{"],
      ["array.json", "[]"],
    ] as const) {
      const run = await zhixin([
        "verify",
        "--bundle",
        bundle,
        "--trust-root",
        root,
        "--payload",
        await file(name, text),
      ]);
      expect([run.code, JSON.parse(run.stdout).error.code], name).toEqual([1, "PAYLOAD_MISMATCH"]);
      expect(run.stderr, name).toContain("The --payload file is not the record's data");
    }
  });
});

describe("zhixin verify --bundle: usage", () => {
  it("exits 2 for a trust root that is not one, with its code", async () => {
    const bundle = await file("b.json", (vectors.cases[0] as VectorCase).bundle);
    const run = await zhixin([
      "verify",
      "--bundle",
      bundle,
      "--trust-root",
      await file("bad-root.json", "{}"),
    ]);
    expect([run.code, JSON.parse(run.stdout).error.code]).toEqual([2, "TRUST_ROOT_INVALID"]);
  });

  it.each([
    [["verify", "--bundle", "b.json"], "--bundle needs --trust-root"],
    [["verify", "--file", "x"], "--file goes with --bundle"],
    [["verify", "--trust-root", "x"], "--trust-root goes with --bundle"],
    [["verify", "--bundle", "b.json", "--trust-root", "r", "--field", "sha256"], "--field goes with --file"],
    [
      ["verify", "--bundle", "b.json", "--trust-root", "r", "--entry", "0".repeat(32)],
      "cannot be combined with --entry",
    ],
    [
      ["verify", "--bundle", "b.json", "--trust-root", "r", "--min-witnesses", "x"],
      "--min-witnesses is a count",
    ],
  ])("%j: %s", async (args, message) => {
    const run = await zhixin(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("exits 2 for more witnesses than the trust root names, and for a file it cannot read", async () => {
    const bundle = await file("b.json", (vectors.cases[0] as VectorCase).bundle);
    const many = await zhixin(["verify", "--bundle", bundle, "--trust-root", root, "--min-witnesses", "4"]);
    expect([many.code, many.stderr]).toEqual([2, expect.stringContaining("names 3 witness(es)")]);
    const missing = await zhixin(["verify", "--bundle", join(work, "missing.json"), "--trust-root", root]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("cannot read")]);
  });
});
