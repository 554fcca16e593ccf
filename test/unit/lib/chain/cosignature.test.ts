import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COSIGNATURE_V1_SIZE,
  type CosignatureVerifier,
  cosignatureKeyHash,
  cosignatureMessage,
  cosignatureNoteVerifier,
  cosignCheckpoint,
  formatCheckpoint,
  formatCosignature,
  formatCosignatureVerifierKey,
  formatSignedNote,
  fromHex,
  INTL,
  MAX_COSIGNATURE_TIMESTAMP,
  type NoteSignature,
  parseCosignature,
  parseCosignatureVerifierKey,
  parseSignedNote,
  parseVerifierKey,
  splitVerifierKey,
  toBase64,
  toHex,
  verifyCosignature,
  verifyNote,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import { ed25519FromSeed, ed25519Verify, testLog, testWitness } from "../../../support/witness-keys.js";

const VECTORS = new URL("../../../vectors/cosignature/", import.meta.url);
const vector = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, VECTORS), "utf8")) as T;
const vectors = <T>(dir: string): [string, T][] =>
  readdirSync(new URL(`${dir}/`, VECTORS))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f.slice(0, -5), vector<T>(`${dir}/${f}`)]);

interface WorkedExample {
  ed25519Seed: string;
  ed25519PublicKey: string;
  keyName: string;
  keyHash: string;
  verifierKey: string;
  checkpointNote: string;
  checkpointText: string;
  timestamp: number;
  message: string;
  signatureLine: string;
  cosignedNote: string;
}
interface InvalidLine {
  description: string;
  verifierKey?: string;
  checkpointNote?: string;
  signatureLine: string;
  failsAt: "parse" | "verify";
  wantError: string;
}

const worked = vector<WorkedExample>("worked-example.json");
const workedKey = ed25519FromSeed(fromHex(worked.ed25519Seed));
const workedVerifier = (key = parseCosignatureVerifierKey(worked.verifierKey)): CosignatureVerifier => ({
  name: key.name,
  keyHash: key.keyHash,
  verify: (m, s) => ed25519Verify(key.publicKey, m, s),
});

/** The one signature line of `line` ("— name base64\n"), parsed. */
function lineOf(line: string): NoteSignature {
  const [signature] = parseSignedNote(`x\n\n${line}`).signatures;
  if (!signature) throw new Error("no signature line");
  return signature;
}

describe("the specs' examples", () => {
  it("builds tlog-cosignature's signed message byte for byte", () => {
    const v = vector<{ checkpointText: string; timestamp: number; message: string }>(
      "c2sp-signed-message.json",
    );
    expect(new TextDecoder().decode(cosignatureMessage(v.checkpointText, v.timestamp))).toBe(v.message);
  });

  it("decodes tlog-cosignature's cosigned checkpoint: key ID, timestamp, 64-byte signature", () => {
    const v = vector<{
      note: string;
      want: { name: string; keyHash: string; timestamp: number; signature: string };
    }>("c2sp-cosigned-checkpoint.json");
    const [, line] = parseSignedNote(v.note).signatures;
    if (!line) throw new Error("the example has two signature lines");
    const c = parseCosignature(line);
    expect({ ...c, keyHash: toHex(c.keyHash), signature: toHex(c.signature) }).toEqual(v.want);
    // The spec's two examples describe one cosignature: same checkpoint, same time.
    const message = vector<{ timestamp: number }>("c2sp-signed-message.json");
    expect(c.timestamp).toBe(message.timestamp);
  });
});

describe("the worked example", () => {
  it("has the key ID and vkey of type 0x04 and the RFC 8032 TEST 2 key", () => {
    expect(toHex(workedKey.publicKey)).toBe(worked.ed25519PublicKey);
    expect(toHex(cosignatureKeyHash(worked.keyName, "ed25519", workedKey.publicKey))).toBe(worked.keyHash);
    expect(
      formatCosignatureVerifierKey({ name: worked.keyName, alg: "ed25519", publicKey: workedKey.publicKey }),
    ).toBe(worked.verifierKey);
    const key = parseCosignatureVerifierKey(worked.verifierKey);
    expect([key.name, toHex(key.keyHash), toHex(key.publicKey)]).toEqual([
      worked.keyName,
      worked.keyHash,
      worked.ed25519PublicKey,
    ]);
  });

  it("cosigns again to the same message and line", () => {
    const signer = { name: worked.keyName, keyHash: fromHex(worked.keyHash), sign: workedKey.sign };
    expect(new TextDecoder().decode(cosignatureMessage(worked.checkpointText, worked.timestamp))).toBe(
      worked.message,
    );
    const line = cosignCheckpoint(worked.checkpointText, worked.timestamp, signer);
    expect(
      formatSignedNote(worked.checkpointText, [...parseSignedNote(worked.checkpointNote).signatures, line]),
    ).toBe(worked.cosignedNote);
    expect(line.signature).toHaveLength(COSIGNATURE_V1_SIZE);
  });

  it("verifies, alone and beside the log's signature in one verifyNote", () => {
    const [, line] = parseSignedNote(worked.cosignedNote).signatures;
    if (!line) throw new Error("two lines");
    const c = verifyCosignature(worked.checkpointText, line, workedVerifier());
    expect(c.timestamp).toBe(worked.timestamp);
    const log = parseVerifierKey("zhixin.example/demo+1197537b+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
    const logVerifier = {
      name: log.name,
      keyHash: log.keyHash,
      verify: (m: Uint8Array, s: Uint8Array) => ed25519Verify(log.publicKey, m, s),
    };
    const note = verifyNote(worked.cosignedNote, [logVerifier, cosignatureNoteVerifier(workedVerifier())]);
    expect(note.verifiedBy.map((v) => v.name)).toEqual(["zhixin.example/demo", worked.keyName]);
    // Before cosignatures were read, the line was an unknown key's and ignored; it still is.
    expect(verifyNote(worked.cosignedNote, [logVerifier]).verifiedBy).toHaveLength(1);
  });
});

describe("invalid cosignature vectors", () => {
  it.each(vectors<InvalidLine>("invalid"))("refuses %s", (_, v) => {
    expect(v.wantError).toBe("INVALID_COSIGNATURE");
    const line = lineOf(v.signatureLine);
    if (v.failsAt === "parse") {
      expectChainError(() => parseCosignature(line), "INVALID_COSIGNATURE");
      return;
    }
    const text = parseSignedNote(v.checkpointNote ?? "").text;
    expect(() => parseCosignature(line)).not.toThrow();
    expectChainError(() => verifyCosignature(text, line, workedVerifier()), "INVALID_COSIGNATURE");
    // Inside a note: a line with the cosigner's name and key ID that fails refuses the note;
    // a line under another key ID is another key's, ignored beside the valid cosignature.
    const noteVerifier = cosignatureNoteVerifier(workedVerifier());
    if (line.name === worked.keyName && toHex(line.keyHash) === worked.keyHash) {
      expect(noteVerifier.verify(new TextEncoder().encode(text), line.signature)).toBe(false);
      expectChainError(() => verifyNote(`${text}\n${v.signatureLine}`, [noteVerifier]), "INVALID_NOTE");
    } else {
      const note = `${worked.checkpointText}\n${worked.signatureLine}${v.signatureLine}`;
      expect(verifyNote(note, [noteVerifier]).verifiedBy).toEqual([noteVerifier]);
    }
  });

  it.each(vectors<{ vkey: string; wantError: string }>("vkey-invalid"))("refuses vkey %s", (_, v) => {
    expect(v.wantError).toBe("INVALID_NOTE");
    expectChainError(() => parseCosignatureVerifierKey(v.vkey), "INVALID_NOTE");
  });

  it("keeps cosigner vkeys out of parseVerifierKey: a type 0x04 key is not a note key", () => {
    expectChainError(() => parseVerifierKey(worked.verifierKey), "INVALID_NOTE");
    expect(splitVerifierKey(worked.verifierKey).type).toBe(0x04);
  });
});

describe("cosignatures, round trip", () => {
  const log = testLog("zhixin.example/round-trip");
  const witness = testWitness("dept-b.example/witness");

  it("cosigns any checkpoint at any timestamp and verifies it back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: MAX_COSIGNATURE_TIMESTAMP }),
        fc.array(fc.stringMatching(/^[a-z0-9 +=/-]{1,20}$/), { maxLength: 2 }),
        (size, rootHash, timestamp, extensions) => {
          const text = formatCheckpoint({ origin: log.origin, size, rootHash, extensions });
          const line = cosignCheckpoint(text, timestamp, witness.signer);
          const c = verifyCosignature(text, line, witness.verifier);
          expect(c.timestamp).toBe(timestamp);
          expect(message(text, timestamp)).toContain(`time ${timestamp}\n${text}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  const message = (text: string, t: number) => new TextDecoder().decode(cosignatureMessage(text, t));

  it("writes the timestamp big-endian in 8 bytes, the largest one exactly", () => {
    const text = formatCheckpoint({ origin: log.origin, size: 0, rootHash: INTL.emptyRoot() });
    const line = formatCosignature(witness.signer, MAX_COSIGNATURE_TIMESTAMP, new Uint8Array(64));
    expect(toHex(line.signature.slice(0, 8))).toBe("001fffffffffffff");
    expect(parseCosignature(line).timestamp).toBe(MAX_COSIGNATURE_TIMESTAMP);
    expect(toHex(formatCosignature(witness.signer, 1, new Uint8Array(64)).signature.slice(0, 8))).toBe(
      "0000000000000001",
    );
    expect(toHex(formatCosignature(witness.signer, 2 ** 32, new Uint8Array(64)).signature.slice(0, 8))).toBe(
      "0000000100000000",
    );
    expect(message(text, 0)).toBe(`cosignature/v1\ntime 0\n${text}`);
  });

  it("verifies a timestamp of 0, which only a witness must not write", () => {
    const text = formatCheckpoint({ origin: log.origin, size: 0, rootHash: INTL.emptyRoot() });
    const ed = testWitness("dept-b.example/witness");
    const raw = new Uint8Array([...new Uint8Array(8), ...signRaw(cosignatureMessage(text, 0))]);
    const line = { name: ed.key.name, keyHash: ed.key.keyHash, signature: raw };
    expect(verifyCosignature(text, line, ed.verifier).timestamp).toBe(0);
    expectChainError(() => formatCosignature(ed.signer, 0, raw.slice(8)), "INVALID_COSIGNATURE");
  });

  const signRaw = (m: Uint8Array) => witness.signer.sign(m);
});

describe("refusals", () => {
  const witness = testWitness("dept-c.example/witness");
  const text = formatCheckpoint({ origin: "zhixin.example/r", size: 0, rootHash: INTL.emptyRoot() });
  const good = cosignCheckpoint(text, 1_700_000_000, witness.signer);

  it.each([
    ["timestamp 0", 0],
    ["a negative timestamp", -1],
    ["a fractional timestamp", 1.5],
    ["a timestamp past 2^53 - 1", 2 ** 53],
    ["a timestamp that is not a number", "1" as unknown as number],
  ])("cosignCheckpoint refuses %s", (_, t) => {
    expectChainError(() => cosignCheckpoint(text, t, witness.signer), "INVALID_COSIGNATURE");
  });

  it("cosignatureMessage refuses a text that is not a checkpoint, and a bad timestamp", () => {
    expectChainError(() => cosignatureMessage("hello\n", 1), "INVALID_NOTE");
    expectChainError(() => cosignatureMessage(text, -1), "INVALID_COSIGNATURE");
  });

  it("refuses signers and verifiers with a bad name or key ID", () => {
    const badName = { ...witness.signer, name: "a b" };
    const badHash = { ...witness.signer, keyHash: new Uint8Array(3) };
    expectChainError(() => cosignCheckpoint(text, 1, badName), "INVALID_COSIGNATURE");
    expectChainError(() => cosignCheckpoint(text, 1, badHash), "INVALID_COSIGNATURE");
    expectChainError(() => formatCosignature(badName, 1, new Uint8Array(64)), "INVALID_COSIGNATURE");
    expectChainError(
      () => verifyCosignature(text, good, { ...witness.verifier, name: "" }),
      "INVALID_COSIGNATURE",
    );
    expectChainError(
      () => cosignatureNoteVerifier({ ...witness.verifier, keyHash: new Uint8Array(5) }),
      "INVALID_COSIGNATURE",
    );
  });

  it("refuses an Ed25519 signature that is not 64 bytes, from a signer or given", () => {
    const short = { ...witness.signer, sign: () => new Uint8Array(63) };
    expectChainError(() => cosignCheckpoint(text, 1, short), "INVALID_COSIGNATURE");
    expectChainError(
      () => formatCosignature(witness.signer, 1, "sig" as unknown as Uint8Array),
      "INVALID_COSIGNATURE",
    );
  });

  it("refuses key IDs and vkeys for bad names and keys", () => {
    expectChainError(() => cosignatureKeyHash("", "ed25519", new Uint8Array(32)), "INVALID_NOTE");
    expectChainError(() => cosignatureKeyHash("a", "ed25519", new Uint8Array(33)), "INVALID_NOTE");
    expectChainError(() => cosignatureKeyHash("a", "ed25519", "k" as unknown as Uint8Array), "INVALID_NOTE");
    expectChainError(
      () => formatCosignatureVerifierKey({ name: "a+b", alg: "ed25519", publicKey: new Uint8Array(32) }),
      "INVALID_NOTE",
    );
    expectChainError(() => parseCosignatureVerifierKey("no-pluses"), "INVALID_NOTE");
  });

  it("refuses a line by another cosigner: other name, other key ID", () => {
    const other = testWitness("dept-d.example/witness");
    expectChainError(() => verifyCosignature(text, good, other.verifier), "INVALID_COSIGNATURE");
    const sameNameOtherKey = { ...witness.verifier, keyHash: other.key.keyHash };
    expectChainError(() => verifyCosignature(text, good, sameNameOtherKey), "INVALID_COSIGNATURE");
  });

  it("counts a verify that throws or answers anything but true as a failure", () => {
    const throwing = {
      ...witness.verifier,
      verify: () => {
        throw new Error("KMS down");
      },
    };
    const throwingString = {
      ...witness.verifier,
      verify: () => {
        throw "down";
      },
    };
    const truthy = { ...witness.verifier, verify: () => 1 as unknown as boolean };
    for (const v of [throwing, throwingString, truthy]) {
      expectChainError(() => verifyCosignature(text, good, v), "INVALID_COSIGNATURE");
      expect(cosignatureNoteVerifier(v).verify(new TextEncoder().encode(text), good.signature)).toBe(false);
    }
  });

  it("parseCosignature refuses anything but 72 bytes and timestamps past 2^53 - 1", () => {
    const at = (hex: string) => ({
      ...good,
      signature: new Uint8Array([...fromHex(hex), ...new Uint8Array(64)]),
    });
    expectChainError(() => parseCosignature(at("8000000000000000")), "INVALID_COSIGNATURE");
    expectChainError(() => parseCosignature(at("7fffffffffffffff")), "INVALID_COSIGNATURE");
    expectChainError(() => parseCosignature(at("0020000000000000")), "INVALID_COSIGNATURE");
    expect(parseCosignature(at("001fffffffffffff")).timestamp).toBe(MAX_COSIGNATURE_TIMESTAMP);
    expectChainError(
      () => parseCosignature({ ...good, signature: new Uint8Array(64) }),
      "INVALID_COSIGNATURE",
    );
    expectChainError(
      () => parseCosignature({ ...good, signature: undefined as unknown as Uint8Array }),
      "INVALID_COSIGNATURE",
    );
  });

  it("reads a cosignature from a subarray at its own offset", () => {
    const padded = new Uint8Array(100);
    padded.set(good.signature, 10);
    const line = { ...good, signature: padded.subarray(10, 10 + COSIGNATURE_V1_SIZE) };
    expect(parseCosignature(line).timestamp).toBe(1_700_000_000);
    expect(toBase64(parseCosignature(line).signature)).toBe(toBase64(good.signature.slice(8)));
  });

  it("a cosignature's NoteVerifier is false on a text that is not a checkpoint", () => {
    const v = cosignatureNoteVerifier(witness.verifier);
    expect(v.verify(new TextEncoder().encode("not a checkpoint\n"), good.signature)).toBe(false);
    expect(v.verify(new TextEncoder().encode(text), good.signature)).toBe(true);
  });
});
