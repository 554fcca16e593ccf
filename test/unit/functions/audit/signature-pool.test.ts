import { execFile } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { INTL } from "#chain";
import {
  type SignatureJob,
  SignaturePool,
  SignatureWorkerError,
} from "../../../../functions/audit/signature-pool.js";
import { verifySignature } from "../../../../lib/crypto/verify.js";

// The workers answer each check as lib/crypto/verify.ts would (1 valid, 0 not), or 2
// where they cannot read the key, which the audit then checks on its own thread.

const spkiOf = (key: KeyObject) => new Uint8Array(key.export({ format: "der", type: "spki" }));
const ed = generateKeyPairSync("ed25519");
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const message = new TextEncoder().encode('"@method": POST\n"@signature-params": ("@method")');
const edSignature = new Uint8Array(sign(null, message, ed.privateKey));
const p256Signature = new Uint8Array(
  sign("sha256", message, { key: p256.privateKey, dsaEncoding: "ieee-p1363" }),
);
const other = new TextEncoder().encode("another message");

const CASES: Array<[string, SignatureJob, number]> = [
  [
    "a valid Ed25519 signature",
    { alg: "ed25519", spki: spkiOf(ed.publicKey), message, signature: edSignature },
    1,
  ],
  [
    "an Ed25519 signature over another message",
    { alg: "ed25519", spki: spkiOf(ed.publicKey), message: other, signature: edSignature },
    0,
  ],
  [
    "a 63-byte signature",
    { alg: "ed25519", spki: spkiOf(ed.publicKey), message, signature: edSignature.slice(1) },
    0,
  ],
  [
    "a valid ECDSA P-256 signature",
    { alg: "ecdsa-p256-sha256", spki: spkiOf(p256.publicKey), message, signature: p256Signature },
    1,
  ],
  [
    "an ECDSA signature over another message",
    { alg: "ecdsa-p256-sha256", spki: spkiOf(p256.publicKey), message: other, signature: p256Signature },
    0,
  ],
  ["bytes that are no key", { alg: "ed25519", spki: new Uint8Array(44), message, signature: edSignature }, 2],
  [
    "an Ed25519 key named as ECDSA",
    { alg: "ecdsa-p256-sha256", spki: spkiOf(ed.publicKey), message, signature: edSignature },
    2,
  ],
  [
    "a P-384 key named as P-256",
    { alg: "ecdsa-p256-sha256", spki: spkiOf(p384.publicKey), message, signature: p256Signature },
    2,
  ],
];

const pools: SignaturePool[] = [];
const pool = (threads: number, source?: string) => {
  const p = new SignaturePool(threads, source);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("SignaturePool", () => {
  it("answers each check as lib/crypto would, or 2 for a key it cannot read", async () => {
    const answers = await pool(2).verifyAll(CASES.map(([, job]) => job));
    expect([...answers]).toEqual(CASES.map(([, , answer]) => answer));
    for (const [name, job, answer] of CASES) {
      if (answer === 2) {
        expect(() => verifySignature({ keyId: name, ...job }, job.message, job.signature, INTL)).toThrow();
      } else {
        expect(verifySignature({ keyId: name, ...job }, job.message, job.signature, INTL), name).toBe(
          answer === 1,
        );
      }
    }
  });

  it("spreads checks over its workers and gives the answers back in order", async () => {
    const p = pool(3);
    const jobs = Array.from(
      { length: 50 },
      (_, i) => (CASES[i % CASES.length] as [string, SignatureJob, number])[1],
    );
    const answers = await p.verifyAll(jobs);
    expect([...answers]).toEqual(
      jobs.map((_, i) => (CASES[i % CASES.length] as [string, SignatureJob, number])[2]),
    );
    expect([...(await p.verifyAll([]))]).toEqual([]);
    expect(p.checked).toBe(50);
  });

  it("fails every check, then every later call, once a worker fails", async () => {
    const p = pool(2, "process.exit(7)");
    const first = p.verifyAll(CASES.map(([, job]) => job));
    await expect(first).rejects.toBeInstanceOf(SignatureWorkerError);
    await expect(first).rejects.toThrow("a signature worker exited (code 7) with checks to make");
    await expect(p.verifyAll([CASES[0]?.[1] as SignatureJob])).rejects.toThrow("exited (code 7)");
    expect(p.checked).toBe(0);
  });

  it("needs at least one thread", () => {
    expect(() => new SignaturePool(0)).toThrow(RangeError);
  });

  it("works from an esbuild bundle, as the verify function runs it (no worker file to find)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zhixin-pool-bundle-"));
    try {
      const outfile = join(dir, "pool.mjs");
      await build({
        entryPoints: [
          fileURLToPath(new URL("../../../../functions/audit/signature-pool.ts", import.meta.url)),
        ],
        outfile,
        bundle: true,
        format: "esm",
        platform: "node",
        logLevel: "silent",
      });
      const [valid, invalid] = CASES;
      const script = `
        const { SignaturePool } = await import(${JSON.stringify(outfile)});
        const pool = new SignaturePool(2);
        const job = (j) => ({ ...j, spki: new Uint8Array(j.spki), message: new Uint8Array(j.message), signature: new Uint8Array(j.signature) });
        const jobs = ${JSON.stringify([valid?.[1], invalid?.[1]].map((j) => ({ ...j, spki: [...(j?.spki ?? [])], message: [...(j?.message ?? [])], signature: [...(j?.signature ?? [])] })))};
        process.stdout.write([...(await pool.verifyAll(jobs.map(job)))].join(","));
        await pool.close();`;
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["--input-type=module", "-e", script], (e, out) =>
          e ? reject(e) : resolve(out),
        ),
      );
      expect(stdout).toBe("1,0");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
