import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  COSIGNATURE_SM2_TYPE_BYTES,
  type CosignatureAlgorithm,
  cosignatureKeyHash,
  cosignatureMessage,
  cosignatureVerifierOf,
  cosignCheckpoint,
  cosignerKeyOf,
  formatCheckpoint,
  formatCosignature,
  formatCosignatureVerifierKey,
  formatSignedNote,
  formatVerifierKey,
  fromBase64,
  fromHex,
  fromUtf8,
  GM,
  isCosignatureAlgorithm,
  NOTE_SIGNATURE_TYPE_SM2,
  type NoteSignature,
  parseCosignatureVerifierKey,
  parseSignedNote,
  parseVerifierKey,
  recordedCosignerKey,
  SUITE_COSIGNATURE_ALGORITHM,
  toBase64,
  toHex,
  utf8,
  verifyCosignature,
} from "#chain";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { keySignatureCheckOf } from "../../../../lib/crypto/verify.js";
import { sm2Sign } from "../../../../lib/sm2/index.js";
import { chainErrorCode } from "../../../support/chain-errors.js";
import worked from "../../../vectors/cosignature/sm2-worked-example.json" with { type: "json" };

// The gm suite's witness cosignature (docs/formats/witness.md §1.7): c2sp.org/tlog-cosignature's
// line and message, SM2 with SM3 as the signature, 0xff with an identifier as the type.

const NAME = "zhixin-witness/gm-demo/hf-haikou";
const CHECKPOINT = formatCheckpoint({
  origin: "zhixin.example/gm-log",
  size: 12,
  rootHash: new Uint8Array(32).fill(7),
});

async function cosignerOf(alg: CosignatureAlgorithm, name = NAME) {
  const signer = new LocalSigner(`${name}/witness`, generateKeyPair(alg).privateKey, alg);
  const spki = await signer.publicKey();
  return { signer, spki, key: cosignerKeyOf(name, alg, spki) };
}

describe("SM2 cosigner keys (witness.md §1.7)", () => {
  it("type bytes are the SM2 note identifier then 0x04", () => {
    expect(toHex(COSIGNATURE_SM2_TYPE_BYTES)).toBe("ff06082a811ccf5501837504");
    expect(SUITE_COSIGNATURE_ALGORITHM).toEqual({ intl: "ed25519", gm: "sm2-sm3" });
    expect([isCosignatureAlgorithm("sm2-sm3"), isCosignatureAlgorithm("ecdsa-p256-sha256")]).toEqual([
      true,
      false,
    ]);
  });

  it("key ID is SHA-256(name || 0x0A || type bytes || SPKI)[:4], and the vkey round-trips", async () => {
    const { spki, key } = await cosignerOf("sm2-sm3");
    const want = createHash("sha256")
      .update(`${NAME}\n`)
      .update(Buffer.from("ff06082a811ccf5501837504", "hex"))
      .update(spki)
      .digest()
      .subarray(0, 4);
    expect(toHex(key.keyHash)).toBe(want.toString("hex"));
    expect(key).toEqual({ name: NAME, keyHash: key.keyHash, alg: "sm2-sm3", publicKey: spki });
    const vkey = formatCosignatureVerifierKey(key);
    expect(vkey).toBe(
      `${NAME}+${toHex(key.keyHash)}+${toBase64(new Uint8Array([...COSIGNATURE_SM2_TYPE_BYTES, ...spki]))}`,
    );
    expect(parseCosignatureVerifierKey(vkey)).toEqual(key);
    expect(recordedCosignerKey(key)).toEqual({ alg: "sm2-sm3", spki });
  });

  it("an Ed25519 cosigner key is the spec's type 0x04 with the raw key, and maps back to its SPKI", async () => {
    const { spki, key } = await cosignerOf("ed25519");
    expect(key.publicKey).toEqual(spki.slice(12));
    expect(toHex(key.keyHash)).toBe(toHex(cosignatureKeyHash(NAME, "ed25519", spki.slice(12))));
    expect(fromBase64(formatCosignatureVerifierKey(key).split("+").slice(2).join("+"))[0]).toBe(0x04);
    expect(recordedCosignerKey(key)).toEqual({ alg: "ed25519", spki });
  });

  it("an SM2 key's note key and cosigner key differ, and neither parser takes the other's vkey", async () => {
    const { spki, key } = await cosignerOf("sm2-sm3");
    const noteVkey = formatVerifierKey(NAME, NOTE_SIGNATURE_TYPE_SM2, spki);
    expect(noteVkey.split("+")[1]).not.toBe(toHex(key.keyHash));
    expect(chainErrorCode(() => parseCosignatureVerifierKey(noteVkey))).toBe("INVALID_NOTE");
    expect(() => parseCosignatureVerifierKey(noteVkey)).toThrow(
      /identifier other than the SM2 cosignature's/,
    );
    expect(chainErrorCode(() => parseVerifierKey(formatCosignatureVerifierKey(key)))).toBe("INVALID_NOTE");
  });

  it("refuses a 0xff vkey with another identifier, a key ID that is not the key's, and keys not of their algorithm", async () => {
    const { spki, key } = await cosignerOf("sm2-sm3");
    const other = toBase64(new Uint8Array([0xff, 0x01, 0x02, ...spki]));
    expect(chainErrorCode(() => parseCosignatureVerifierKey(`${NAME}+${toHex(key.keyHash)}+${other}`))).toBe(
      "INVALID_NOTE",
    );
    const vkey = formatCosignatureVerifierKey(key);
    expect(() => parseCosignatureVerifierKey(vkey.replace(`+${toHex(key.keyHash)}+`, "+00000000+"))).toThrow(
      /does not match the key/,
    );
    const ed = await cosignerOf("ed25519");
    expect(chainErrorCode(() => cosignerKeyOf(NAME, "sm2-sm3", ed.spki))).toBe("INVALID_NOTE");
    expect(chainErrorCode(() => cosignerKeyOf(NAME, "ed25519", spki))).toBe("INVALID_NOTE");
    expect(chainErrorCode(() => cosignerKeyOf(NAME, "ecdsa-p256-sha256" as CosignatureAlgorithm, spki))).toBe(
      "INVALID_NOTE",
    );
    expect(chainErrorCode(() => cosignatureKeyHash(NAME, "sm2-sm3", spki.slice(1)))).toBe("INVALID_NOTE");
    expect(chainErrorCode(() => cosignatureKeyHash(NAME, "rsa" as CosignatureAlgorithm, spki))).toBe(
      "INVALID_NOTE",
    );
    expect(chainErrorCode(() => cosignatureKeyHash(NAME, "sm2-sm3", "k" as unknown as Uint8Array))).toBe(
      "INVALID_NOTE",
    );
  });
});

describe("an SM2 cosignature", () => {
  it("is the spec's line (key ID, timestamp, 64-byte signature) and verifies with the ledger's own check", async () => {
    const { signer, key } = await cosignerOf("sm2-sm3");
    const timestamp = 1_764_892_800;
    const signature = await signer.sign(cosignatureMessage(CHECKPOINT, timestamp));
    const line = formatCosignature(key, timestamp, signature);
    expect(line.signature.length).toBe(8 + 64);
    const verifier = cosignatureVerifierOf(key, keySignatureCheckOf(GM));
    expect(verifyCosignature(CHECKPOINT, line, verifier).timestamp).toBe(timestamp);

    const changed = CHECKPOINT.replace("\n12\n", "\n13\n");
    expect(chainErrorCode(() => verifyCosignature(changed, line, verifier))).toBe("INVALID_COSIGNATURE");
    const later = formatCosignature(key, timestamp + 1, signature);
    expect(chainErrorCode(() => verifyCosignature(CHECKPOINT, later, verifier))).toBe("INVALID_COSIGNATURE");
    // The same bytes checked as another suite's signature do not verify.
    const asEd25519 = cosignatureVerifierOf(key, (_alg, spki, message, sig) =>
      keySignatureCheckOf(GM)("ed25519", spki, message, sig),
    );
    expect(chainErrorCode(() => verifyCosignature(CHECKPOINT, line, asEd25519))).toBe("INVALID_COSIGNATURE");
  });

  it("is signed over exactly the cosignature/v1 message, not the note text", async () => {
    const { signer, key } = await cosignerOf("sm2-sm3");
    const overText = await signer.sign(utf8(CHECKPOINT));
    const line = formatCosignature(key, 5, overText);
    const verifier = cosignatureVerifierOf(key, keySignatureCheckOf(GM));
    expect(chainErrorCode(() => verifyCosignature(CHECKPOINT, line, verifier))).toBe("INVALID_COSIGNATURE");
  });
});

describe("test/vectors/cosignature/sm2-worked-example.json", () => {
  const spki = fromHex(worked.spki);
  const d = fromHex(worked.privateKey);

  it("has the key ID and vkey of the SM2 cosignature type, from the SPKI", () => {
    expect(toHex(COSIGNATURE_SM2_TYPE_BYTES)).toBe(worked.typeBytes);
    const key = cosignerKeyOf(worked.keyName, "sm2-sm3", spki);
    expect(toHex(key.keyHash)).toBe(worked.keyHash);
    expect(formatCosignatureVerifierKey(key)).toBe(worked.verifierKey);
    expect(parseCosignatureVerifierKey(worked.verifierKey)).toEqual(key);
  });

  it("cosigns the checkpoint again to the same note, byte for byte, which the ledger's check verifies", () => {
    const key = parseCosignatureVerifierKey(worked.verifierKey);
    expect(fromUtf8(cosignatureMessage(worked.checkpointText, worked.timestamp))).toBe(worked.message);
    const line = cosignCheckpoint(worked.checkpointText, worked.timestamp, {
      name: key.name,
      keyHash: key.keyHash,
      sign: (message) => sm2Sign(d, message),
    });
    expect(toHex(line.signature.slice(8))).toBe(worked.signature);
    const sealed = parseSignedNote(worked.note);
    expect(formatSignedNote(worked.checkpointText, [...sealed.signatures.slice(0, 1), line])).toBe(
      worked.note,
    );
    const verifier = cosignatureVerifierOf(key, keySignatureCheckOf(GM));
    expect(
      verifyCosignature(worked.checkpointText, sealed.signatures[1] as NoteSignature, verifier).timestamp,
    ).toBe(worked.timestamp);
  });
});
