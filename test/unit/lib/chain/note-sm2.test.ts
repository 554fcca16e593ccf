import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toBase64, toHex, utf8 } from "#chain";
import {
  formatVerifierKey,
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  NOTE_SM2_TYPE_BYTES,
  type NoteSigner,
  type NoteVerifier,
  noteKeyHash,
  parseSignedNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "../../../../lib/chain/note.js";
import { SM2_SPKI_PREFIX, sm2PublicKeyFromSpki, sm2Sign, sm2Verifier } from "../../../../lib/sm2/index.js";
import { expectChainError } from "../../../support/chain-errors.js";
import vector from "../../../vectors/sm2-note.json" with { type: "json" };

// The SM2 note signature type (docs/formats/sm2.md §5): c2sp.org/signed-note assigns SM2 no
// byte, so its keys are typed 0xff followed by the DER of the SM2-with-SM3 OID, the key ID
// follows the spec's recommended rule over those type bytes, and signatures are lib/sm2's
// r||s over the note text. lib/chain holds no SM2 code: signers and verifiers are passed in.

const spki = fromHex(vector.spki);
const d = fromHex(vector.privateKey);
const verifier: NoteVerifier = {
  name: vector.name,
  keyHash: fromHex(vector.keyHash),
  verify: sm2Verifier(sm2PublicKeyFromSpki(spki)),
};
const signer: NoteSigner = {
  name: vector.name,
  keyHash: fromHex(vector.keyHash),
  sign: (message) => sm2Sign(d, message),
};

describe("the SM2 type", () => {
  it("is 0xff then the DER of OID 1.2.156.10197.1.501 (SM2-with-SM3)", () => {
    expect(NOTE_SIGNATURE_TYPE_SM2).toBe(0xff);
    expect(toHex(NOTE_SM2_TYPE_BYTES)).toBe("ff06082a811ccf55018375");
  });

  it("takes the SPKI lib/sm2 writes: its prefix and size", () => {
    expect(toHex(spki.subarray(0, SM2_SPKI_PREFIX.length))).toBe(toHex(SM2_SPKI_PREFIX));
    expect(spki.length).toBe(91);
  });
});

describe("key ID and vkey", () => {
  it("is SHA-256(name || 0x0a || type bytes || SPKI)[:4], computed here with node:crypto", () => {
    const digest = createHash("sha256")
      .update(concatBytes(utf8(`${vector.name}\n`), NOTE_SM2_TYPE_BYTES, spki))
      .digest("hex");
    expect(digest.slice(0, 8)).toBe(vector.keyHash);
    expect(toHex(noteKeyHash(vector.name, NOTE_SIGNATURE_TYPE_SM2, spki))).toBe(vector.keyHash);
  });

  it("is another ID under another name", () => {
    expect(toHex(noteKeyHash("zhixin.example/other", NOTE_SIGNATURE_TYPE_SM2, spki))).not.toBe(
      vector.keyHash,
    );
  });

  it("formats and parses the vkey <name>+<key ID>+base64(type bytes || SPKI)", () => {
    expect(formatVerifierKey(vector.name, NOTE_SIGNATURE_TYPE_SM2, spki)).toBe(vector.vkey);
    expect(vector.vkey).toBe(
      `${vector.name}+${vector.keyHash}+${toBase64(concatBytes(NOTE_SM2_TYPE_BYTES, spki))}`,
    );
    const parsed = parseVerifierKey(vector.vkey);
    expect(parsed.name).toBe(vector.name);
    expect(parsed.type).toBe(NOTE_SIGNATURE_TYPE_SM2);
    expect(toHex(parsed.keyHash)).toBe(vector.keyHash);
    expect(toHex(parsed.publicKey)).toBe(vector.spki);
  });

  const vkeyOf = (keyHash: string, typed: Uint8Array) => `${vector.name}+${keyHash}+${toBase64(typed)}`;
  const compressed = concatBytes(
    fromHex("3039301306072a8648ce3d020106082a811ccf5501822d032200"),
    Uint8Array.of(2 + ((spki[90] as number) & 1)),
    spki.subarray(27, 59),
  );
  const p256 = fromHex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200040000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
  );

  it.each<[string, () => unknown]>([
    [
      "0xff with another OID (ecdsa-with-SHA256)",
      () => parseVerifierKey(vkeyOf(vector.keyHash, concatBytes(fromHex("ff06082a8648ce3d040302"), spki))),
    ],
    [
      "0xff and the identifier cut short",
      () => parseVerifierKey(vkeyOf(vector.keyHash, fromHex("ff06082a811c"))),
    ],
    ["0xff alone", () => parseVerifierKey(vkeyOf(vector.keyHash, Uint8Array.of(0xff)))],
    [
      "a key ID that is not the key's",
      () => parseVerifierKey(vector.vkey.replace(vector.keyHash, "00000000")),
    ],
    [
      "the SPKI of a compressed point",
      () => parseVerifierKey(vkeyOf(vector.keyHash, concatBytes(NOTE_SM2_TYPE_BYTES, compressed))),
    ],
    ["a P-256 SPKI", () => noteKeyHash(vector.name, NOTE_SIGNATURE_TYPE_SM2, p256)],
    [
      "the 65-byte point without its SPKI",
      () => noteKeyHash(vector.name, NOTE_SIGNATURE_TYPE_SM2, spki.subarray(26)),
    ],
    ["an SPKI a byte short", () => noteKeyHash(vector.name, NOTE_SIGNATURE_TYPE_SM2, spki.subarray(0, 90))],
    ["the SM2 SPKI typed Ed25519", () => noteKeyHash(vector.name, NOTE_SIGNATURE_TYPE_ED25519, spki)],
  ])("refuses %s", (_, parse) => {
    expectChainError(parse, "INVALID_NOTE");
  });
});

describe("signing and verifying", () => {
  it("signs the vector's note exactly (a deterministic nonce) and verifies it", () => {
    expect(signNote(vector.text, [signer])).toBe(vector.note);
    const opened = verifyNote(vector.note, [verifier]);
    expect(opened.text).toBe(vector.text);
    expect(opened.verifiedBy).toEqual([verifier]);
    expect(toHex(parseSignedNote(vector.note).signatures[0]?.signature ?? new Uint8Array(0))).toBe(
      vector.signature,
    );
  });

  it("refuses the signature over another text, and one made with another identifier", () => {
    const moved = vector.note.replace("\n3\n", "\n4\n");
    expectChainError(() => verifyNote(moved, [verifier]), "INVALID_NOTE");
    const alice: NoteSigner = { ...signer, sign: (m) => sm2Sign(d, m, { id: "ALICE123@YAHOO.COM" }) };
    expectChainError(() => verifyNote(signNote(vector.text, [alice]), [verifier]), "INVALID_NOTE");
  });
});

describe("docs/formats/sm2.md", () => {
  const doc = readFileSync("docs/formats/sm2.md", "utf8");

  it("shows the type bytes, the vkey and the key ID rule this code uses", () => {
    expect(doc).toContain(toHex(NOTE_SM2_TYPE_BYTES).replace(/(..)(?!$)/g, "$1 "));
    expect(doc).toContain(vector.vkey);
    expect(doc).toContain(`SHA-256(key name || 0x0A || ${toHex(NOTE_SM2_TYPE_BYTES)} || SPKI)[:4]`);
  });
});
