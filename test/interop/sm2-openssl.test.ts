import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cosignatureMessage,
  cosignerKeyOf,
  formatCosignature,
  formatSignedNote,
  fromBase64,
  fromHex,
  fromUtf8,
  GM,
  gmSuite,
  sm3,
  toBase64,
  toHex,
  utf8,
} from "#chain";
import { kmsSigningPort } from "../../functions/auth/kms-signing-port.js";
import { ecdsaSignatureFromDer, ecdsaSignatureToDer, SM2_ORDER } from "../../lib/crypto/ecdsa-der.js";
import { KmsSigner } from "../../lib/crypto/kms-signer.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import { keySignatureCheckOf, verifySignature } from "../../lib/crypto/verify.js";
import {
  sm2PrivateKeyFromPkcs8,
  sm2PublicKey,
  sm2PublicKeyFromSpki,
  sm2PublicKeyToSpki,
  sm2Sign,
  sm2Verify,
} from "../../lib/sm2/index.js";
import { checkWitnessQuorum } from "../../lib/witness/index.js";
import { fakeKms, TestKmsKey } from "../support/fake-aws.js";
import cosigned from "../vectors/cosignature/sm2-worked-example.json" with { type: "json" };

// Interop, not self-consistency: SM2 signatures and SM3 digests checked against OpenSSL 3's
// own implementation (the `openssl` command), which shares no code with lib/sm2. Signatures
// cross both ways with the distinguishing identifier 1234567812345678 (-pkeyopt distid:…),
// over messages of 0 bytes to 5 KB; OpenSSL's keys (both genpkey spellings) are read by
// lib/sm2 and by LocalSigner, ours (SPKI) by OpenSSL; the gm suite's witness cosignatures
// (witness.md §1.7) cross both ways too, and so do signatures with a consortium's own
// identifier, LocalSigner's and KmsSigner's (which hands KMS the digest).
//
// Without an openssl that knows SM2 these tests are skipped on a developer's machine, and
// fail in CI (CI=true, or ZHIXIN_REQUIRE_INTEROP=1 as .ci/run sets it).

const run = promisify(execFile);
const truthy = (v: string | undefined) => ["true", "1"].includes((v ?? "").toLowerCase());
const REQUIRED = truthy(process.env.CI) || truthy(process.env.ZHIXIN_REQUIRE_INTEROP);
const DEFAULT_ID = "1234567812345678";

let dir = "";
/** Why OpenSSL cannot run here, or "" when it can. */
let missing = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zhixin-sm2-openssl-"));
  try {
    await run("openssl", ["genpkey", "-algorithm", "SM2", "-out", join(dir, "probe.pem")]);
  } catch (e) {
    missing = `an openssl command that makes SM2 keys (Debian: openssl): ${(e as Error).message}`;
  }
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Skips the test when OpenSSL is missing here, fails it when it is missing in CI. */
function requireOpenssl(ctx: { skip: (note?: string) => void }): void {
  if (!missing) return;
  if (REQUIRED) throw new Error(`the OpenSSL interop test must run here (CI), but ${missing}`);
  ctx.skip(`missing ${missing}`);
}

/** Runs openssl; its exit code and output (a failed verification exits 1). */
async function openssl(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("openssl", args, { encoding: "utf8" });
    return { code: 0, stdout };
  } catch (e) {
    const failure = e as { code?: number; stdout?: string };
    if (typeof failure.code !== "number") throw e;
    return { code: failure.code, stdout: failure.stdout ?? "" };
  }
}

let files = 0;
async function file(bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, `f${files++}`);
  await writeFile(path, bytes);
  return path;
}

function pem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function der(text: string): Uint8Array {
  return fromBase64(text.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
}

/** 5 KB of bytes that are the same on every run. */
const fiveKb = Uint8Array.from({ length: 5 * 1024 }, (_, i) => (i * 131 + (i >> 8) * 7) & 0xff);
const MESSAGES: [string, Uint8Array][] = [
  ["the empty message", new Uint8Array(0)],
  ["one zero byte", Uint8Array.of(0)],
  ["'message digest'", utf8("message digest")],
  ["UTF-8 text", utf8("智信：签名 / 验证\n")],
  ["5 KB", fiveKb],
];

/** OpenSSL's verdict on a DER signature by the key in `publicPem` over `message`. */
async function opensslVerifies(
  publicPem: string,
  message: Uint8Array,
  signature: Uint8Array,
  id = DEFAULT_ID,
) {
  const out = await openssl([
    "pkeyutl",
    "-verify",
    "-pubin",
    "-inkey",
    publicPem,
    "-rawin",
    "-digest",
    "sm3",
    "-pkeyopt",
    `distid:${id}`,
    "-in",
    await file(message),
    "-sigfile",
    await file(signature),
  ]);
  return out.code === 0 && out.stdout.includes("Signature Verified Successfully");
}

/** OpenSSL's DER signature over `message` with the key in `privatePem`. */
async function opensslSigns(privatePem: string, message: Uint8Array, id = DEFAULT_ID): Promise<Uint8Array> {
  const out = join(dir, `sig${files++}`);
  const { code } = await openssl([
    "pkeyutl",
    "-sign",
    "-inkey",
    privatePem,
    "-rawin",
    "-digest",
    "sm3",
    "-pkeyopt",
    `distid:${id}`,
    "-in",
    await file(message),
    "-out",
    out,
  ]);
  expect(code).toBe(0);
  return new Uint8Array(await readFile(out));
}

/** A key pair made by OpenSSL: its PKCS#8 and SPKI as PEM files, and both as DER. */
async function opensslKey(genpkey: string[]) {
  const privatePem = join(dir, `key${files++}.pem`);
  const publicPem = join(dir, `pub${files++}.pem`);
  expect((await openssl(["genpkey", ...genpkey, "-out", privatePem])).code).toBe(0);
  expect((await openssl(["pkey", "-in", privatePem, "-pubout", "-out", publicPem])).code).toBe(0);
  return {
    privatePem,
    publicPem,
    pkcs8: der(await readFile(privatePem, "utf8")),
    spki: der(await readFile(publicPem, "utf8")),
  };
}

describe.each([
  ["genpkey -algorithm SM2", ["-algorithm", "SM2"]],
  [
    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2",
    ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"],
  ],
])("a key from openssl %s", (_, genpkey) => {
  it("is read by lib/sm2: the PKCS#8's scalar gives the SPKI's point", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(genpkey);
    expect(toHex(sm2PublicKey(sm2PrivateKeyFromPkcs8(key.pkcs8)))).toBe(
      toHex(sm2PublicKeyFromSpki(key.spki)),
    );
    expect(toHex(sm2PublicKeyToSpki(sm2PublicKeyFromSpki(key.spki)))).toBe(toHex(key.spki));
  });

  it("signs what OpenSSL verifies, by lib/sm2 and by LocalSigner; another distid or message fails there", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(genpkey);
    const d = sm2PrivateKeyFromPkcs8(key.pkcs8);
    const signer = LocalSigner.fromPem(await readFile(key.privatePem, "utf8"), "k", "sm2-sm3");
    for (const [name, message] of MESSAGES) {
      for (const raw of [sm2Sign(d, message, { random: randomBytes(32) }), await signer.sign(message)]) {
        const signature = ecdsaSignatureToDer(raw);
        expect(await opensslVerifies(key.publicPem, message, signature), name).toBe(true);
        expect(await opensslVerifies(key.publicPem, message, signature, "1234567812345679"), name).toBe(
          false,
        );
        const altered = Uint8Array.from([...message, 0x0a]);
        expect(await opensslVerifies(key.publicPem, altered, signature), name).toBe(false);
      }
    }
  });

  it("verifies what OpenSSL signs, by lib/sm2 and by verifySignature; not under another distid", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(genpkey);
    const point = sm2PublicKeyFromSpki(key.spki);
    for (const [name, message] of MESSAGES) {
      const signature = ecdsaSignatureFromDer(await opensslSigns(key.privatePem, message), SM2_ORDER);
      expect(sm2Verify(point, message, signature), name).toBe(true);
      expect(
        verifySignature({ keyId: "k", alg: "sm2-sm3", spki: key.spki }, message, signature, GM),
        name,
      ).toBe(true);
      expect(sm2Verify(point, message, signature, "1234567812345679"), name).toBe(false);
      expect(sm2Verify(point, utf8("other"), signature), name).toBe(false);
      const alice = ecdsaSignatureFromDer(
        await opensslSigns(key.privatePem, message, "ALICE123@YAHOO.COM"),
        SM2_ORDER,
      );
      expect(sm2Verify(point, message, alice), name).toBe(false);
      expect(sm2Verify(point, message, alice, "ALICE123@YAHOO.COM"), name).toBe(true);
    }
  });
});

describe("a consortium's own SM2 identifier (sm2.md §2): OpenSSL's distid", () => {
  const OWN = "zhixin@hainan.gov.cn";

  it("LocalSigner and KmsSigner (MessageType DIGEST, e computed here) sign what OpenSSL verifies with it, and no other", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(["-algorithm", "SM2"]);
    const local = LocalSigner.fromPem(await readFile(key.privatePem, "utf8"), "k", "sm2-sm3", "key", OWN);
    const kmsKey = new TestKmsKey("sm2-sm3", "arn:aws-cn:kms:cn-northwest-1:111111111111:key/own-id");
    const { client, calls } = fakeKms((operation, input) => kmsKey.answer(operation, input));
    const kms = await KmsSigner.forOwner(kmsSigningPort(client), {
      suite: gmSuite(OWN),
      owner: "hf-yinchuan",
      kmsKeyId: kmsKey.arn,
    });
    const kmsPem = await file(pem("PUBLIC KEY", kmsKey.spki));
    for (const [name, message] of MESSAGES) {
      for (const [publicPem, raw] of [
        [key.publicPem, await local.sign(message)],
        [kmsPem, await kms.sign(message)],
      ] as const) {
        const signature = ecdsaSignatureToDer(raw);
        expect(await opensslVerifies(publicPem, message, signature, OWN), name).toBe(true);
        expect(await opensslVerifies(publicPem, message, signature, DEFAULT_ID), name).toBe(false);
      }
    }
    // KMS was handed e = SM3(Z_A || M), never the message: RAW would bind the default identifier.
    expect(new Set(calls.filter((c) => c.operation === "Sign").map((c) => c.input.MessageType))).toEqual(
      new Set(["DIGEST"]),
    );
  });

  it("verifies OpenSSL's signatures under it by verifySignature with the consortium's suite, not the default's", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(["-algorithm", "SM2"]);
    const record = { keyId: "k", alg: "sm2-sm3" as const, spki: key.spki };
    for (const [name, message] of MESSAGES) {
      const signature = ecdsaSignatureFromDer(await opensslSigns(key.privatePem, message, OWN), SM2_ORDER);
      expect(verifySignature(record, message, signature, gmSuite(OWN)), name).toBe(true);
      expect(verifySignature(record, message, signature, GM), name).toBe(false);
      expect(keySignatureCheckOf(gmSuite(OWN))("sm2-sm3", key.spki, message, signature), name).toBe(true);
    }
  });
});

describe("a key lib/sm2 made", () => {
  it("is read by OpenSSL from our SPKI, which verifies our signatures", async (ctx) => {
    requireOpenssl(ctx);
    const d = randomBytes(32);
    d[0] = 0x7f; // below n
    const publicPem = await file(pem("PUBLIC KEY", sm2PublicKeyToSpki(sm2PublicKey(d))));
    const text = await openssl(["pkey", "-pubin", "-in", publicPem, "-text", "-noout"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ASN1 OID: SM2/);
    for (const [name, message] of MESSAGES) {
      const signature = ecdsaSignatureToDer(sm2Sign(d, message));
      expect(await opensslVerifies(publicPem, message, signature), name).toBe(true);
    }
  });
});

describe("an SM2 witness cosignature (docs/formats/witness.md §1.7)", () => {
  it("the worked example's verifies with OpenSSL over the cosignature/v1 message; over the note text it does not", async (ctx) => {
    requireOpenssl(ctx);
    const publicPem = await file(pem("PUBLIC KEY", fromHex(cosigned.spki)));
    const message = cosignatureMessage(cosigned.checkpointText, cosigned.timestamp);
    expect(fromUtf8(message)).toBe(cosigned.message);
    const signature = ecdsaSignatureToDer(fromHex(cosigned.signature));
    expect(await opensslVerifies(publicPem, message, signature)).toBe(true);
    expect(await opensslVerifies(publicPem, utf8(cosigned.checkpointText), signature)).toBe(false);
  });

  it("one OpenSSL signs over the cosignature/v1 message is a cosignature the quorum counts", async (ctx) => {
    requireOpenssl(ctx);
    const key = await opensslKey(["-algorithm", "SM2"]);
    const cosigner = cosignerKeyOf("openssl.example/witness", "sm2-sm3", key.spki);
    const timestamp = 1_767_225_601;
    const der = await opensslSigns(key.privatePem, cosignatureMessage(cosigned.checkpointText, timestamp));
    const line = formatCosignature(cosigner, timestamp, ecdsaSignatureFromDer(der, SM2_ORDER));
    const note = formatSignedNote(cosigned.checkpointText, [line]);
    const report = checkWitnessQuorum(note, { witnesses: [cosigner], threshold: 1 }, keySignatureCheckOf(GM));
    expect([report.ok, report.witnessed.map((c) => c.timestamp)]).toEqual([true, [timestamp]]);
  });
});

describe("SM3", () => {
  it.for<[string, Uint8Array]>([
    ["the empty input", new Uint8Array(0)],
    ["'abc' (GB/T 32905 A.1)", utf8("abc")],
    ["'abcd' × 16 (A.2)", utf8("abcd".repeat(16))],
    ["55 bytes (one block with its padding)", new Uint8Array(55).fill(0x61)],
    ["56 bytes (padding spills into a second block)", new Uint8Array(56).fill(0x61)],
    ["5 KB", fiveKb],
  ])("of %s is openssl dgst -sm3's", async ([name, input], ctx) => {
    requireOpenssl(ctx);
    const out = await openssl(["dgst", "-sm3", "-r", await file(input)]);
    expect(out.code).toBe(0);
    expect(out.stdout.split(" ")[0], name).toBe(toHex(sm3(input)));
  });
});
