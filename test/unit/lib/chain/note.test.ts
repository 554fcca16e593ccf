import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, fromHex, toBase64, toHex, utf8 } from "#chain";
import {
  formatSignedNote,
  formatVerifierKey,
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_SIZE,
  NOTE_SIGNATURE_TYPE_ECDSA,
  NOTE_SIGNATURE_TYPE_ED25519,
  type NoteSignature,
  type NoteSignatureType,
  type NoteSigner,
  type NoteVerifier,
  noteKeyHash,
  noteMessage,
  parseSignedNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "../../../../lib/chain/note.js";
import { expectChainError } from "../../../support/chain-errors.js";
import { ED25519_SPKI_PREFIX, loadNoteVectors, verifierFor } from "../../../support/note-vectors.js";

// Keys live outside lib/chain: these tests wrap node:crypto as the passed-in functions,
// the way the sealer wraps KMS and a verifier wraps its configured public keys.
//
// Past 400 lines: the signed-note format's vectors, limits, signing, verifying and
// properties are one spec (C2SP signed-note), checked in one place.

interface WantSignature {
  name: string;
  keyHash: string;
  signature: string;
}
interface ValidNote {
  description: string;
  note?: string;
  noteHex?: string;
  verifierKeys?: string[];
  want: { text: string; signatures: WantSignature[]; verifiedBy?: string[] };
}
interface InvalidNote {
  description: string;
  note?: string;
  noteHex?: string;
  failsAt: "parse" | "verify";
  verifierKeys?: string[];
  wantError: string;
}
interface ValidVkey {
  vkey: string;
  want: { name: string; keyHash: string; type: number; publicKey: string };
}
interface InvalidVkey {
  description: string;
  vkey: string;
  wantError: string;
}

function noteOf(v: { note?: string; noteHex?: string }): string | Uint8Array {
  return v.noteHex !== undefined ? fromHex(v.noteHex) : (v.note as string);
}

/** Every refusal of a note or checkpoint is INVALID_NOTE. */
const expectError = (f: () => unknown) => expectChainError(f, "INVALID_NOTE");

const ED25519_PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");

function _ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from([...ED25519_SPKI_PREFIX, ...raw]), format: "der", type: "spki" });
}

function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.from([...ED25519_PKCS8_PREFIX, ...seed]),
    format: "der",
    type: "pkcs8",
  });
}

interface TestKey {
  signer: NoteSigner;
  verifier: NoteVerifier;
  vkey: string;
}

function newKey(name: string, type: NoteSignatureType): TestKey {
  const ed = type === NOTE_SIGNATURE_TYPE_ED25519;
  const pair = ed ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" }));
  const publicKey = ed ? spki.slice(ED25519_SPKI_PREFIX.length) : spki;
  const keyHash = noteKeyHash(name, type, publicKey);
  const alg = ed ? null : "sha256";
  return {
    signer: { name, keyHash, sign: (m) => new Uint8Array(sign(alg, m, pair.privateKey)) },
    verifier: { name, keyHash, verify: (m, s) => verify(alg, m, pair.publicKey, s) },
    vkey: formatVerifierKey(name, type, publicKey),
  };
}

const ids = (verifiers: readonly NoteVerifier[]) => verifiers.map((v) => `${v.name}+${toHex(v.keyHash)}`);
const wire = (s: NoteSignature): WantSignature => ({
  name: s.name,
  keyHash: toHex(s.keyHash),
  signature: toBase64(s.signature),
});

const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

describe("signed note vectors", () => {
  it.each(loadNoteVectors<ValidNote>("note-valid"))("accepts %s", (_, v) => {
    const note = noteOf(v);
    const parsed = parseSignedNote(note);
    expect(parsed.text).toBe(v.want.text);
    expect(parsed.signatures.map(wire)).toEqual(v.want.signatures);
    // Formatting what was parsed gives back the exact note.
    const asText =
      typeof note === "string" ? note : new TextDecoder("utf-8", { ignoreBOM: true }).decode(note);
    expect(formatSignedNote(parsed.text, parsed.signatures)).toBe(asText);
    expect(parseSignedNote(utf8(asText))).toEqual(parsed);
    if (v.want.verifiedBy) {
      const result = verifyNote(note, (v.verifierKeys ?? []).map(verifierFor));
      expect(ids(result.verifiedBy)).toEqual(v.want.verifiedBy);
      expect(result.text).toBe(v.want.text);
      expect(result.signatures).toEqual(parsed.signatures);
    } else {
      // Nobody vouches for a parse-only vector.
      expectError(() => verifyNote(note, []));
    }
  });

  it.each(loadNoteVectors<InvalidNote>("note-invalid"))("rejects %s", (_, v) => {
    const note = noteOf(v);
    expect(v.wantError).toBe("INVALID_NOTE");
    const verifiers = (v.verifierKeys ?? []).map(verifierFor);
    if (v.failsAt === "parse") {
      expectError(() => parseSignedNote(note));
    } else {
      expect(() => parseSignedNote(note)).not.toThrow();
    }
    expectError(() => verifyNote(note, verifiers));
  });

  it("has the cases the issue asks for", () => {
    const names = loadNoteVectors("note-invalid").map(([n]) => n);
    for (const want of [
      "missing-blank-line",
      "hyphens-instead-of-em-dash",
      "control-character-soh",
      "signature-not-base64",
      "wrong-key-id",
      "tampered-text",
    ]) {
      expect(names).toContain(want);
    }
  });
});

describe("verifier keys", () => {
  it.each(loadNoteVectors<ValidVkey>("vkey-valid"))("parses %s", (_, v) => {
    const k = parseVerifierKey(v.vkey);
    expect({ ...k, keyHash: toHex(k.keyHash), publicKey: toHex(k.publicKey) }).toEqual(v.want);
    expect(toHex(noteKeyHash(k.name, k.type, k.publicKey))).toBe(v.want.keyHash);
    expect(formatVerifierKey(k.name, k.type, k.publicKey)).toBe(v.vkey);
  });

  it.each(loadNoteVectors<InvalidVkey>("vkey-invalid"))("rejects %s", (_, v) => {
    expect(v.wantError).toBe("INVALID_NOTE");
    expectError(() => parseVerifierKey(v.vkey));
  });

  it("rejects a non-string", () => {
    expectError(() => parseVerifierKey(42 as unknown as string));
  });

  it("round-trips generated keys of both types", () => {
    for (const type of [NOTE_SIGNATURE_TYPE_ED25519, NOTE_SIGNATURE_TYPE_ECDSA] as const) {
      const key = newKey("zhixin.example/demo", type);
      const parsed = parseVerifierKey(key.vkey);
      expect(parsed.type).toBe(type);
      expect(parsed.keyHash).toEqual(key.signer.keyHash);
    }
  });
});

describe("noteKeyHash", () => {
  it("is SHA-256(name || 0x0A || 0x01 || key)[:4] for Ed25519", () => {
    const k = parseVerifierKey(PETER_VKEY);
    expect(toHex(noteKeyHash("PeterNeumann", NOTE_SIGNATURE_TYPE_ED25519, k.publicKey))).toBe("c74f20a3");
    // The name is part of the hash: the same key under another name has another ID.
    expect(toHex(noteKeyHash("PeterNeumann2", NOTE_SIGNATURE_TYPE_ED25519, k.publicKey))).not.toBe(
      "c74f20a3",
    );
  });

  it("is SHA-256(SPKI)[:4] for ECDSA, whatever the name", () => {
    const k = newKey("a.example", NOTE_SIGNATURE_TYPE_ECDSA);
    const spki = parseVerifierKey(k.vkey).publicKey;
    expect(noteKeyHash("b.example", NOTE_SIGNATURE_TYPE_ECDSA, spki)).toEqual(k.signer.keyHash);
  });

  it("rejects bad names, key sizes and unsupported types", () => {
    const key = new Uint8Array(32);
    expectError(() => noteKeyHash("", NOTE_SIGNATURE_TYPE_ED25519, key));
    expectError(() => noteKeyHash("a b", NOTE_SIGNATURE_TYPE_ED25519, key));
    expectError(() => noteKeyHash("a", NOTE_SIGNATURE_TYPE_ED25519, new Uint8Array(31)));
    expectError(() => noteKeyHash("a", NOTE_SIGNATURE_TYPE_ECDSA, Uint8Array.of(0x04, 1, 2)));
    expectError(() => noteKeyHash("a", NOTE_SIGNATURE_TYPE_ECDSA, Uint8Array.of(0x30)));
    expectError(() => noteKeyHash("a", 0x04 as NoteSignatureType, key));
    expectError(() => noteKeyHash("a", NOTE_SIGNATURE_TYPE_ED25519, "key" as unknown as Uint8Array));
  });
});

describe("isValidKeyName", () => {
  it.each([
    ["zhixin.example/demo", true],
    ["知信.example/日志", true],
    ["a\u007f", true],
    ["", false],
    ["a b", false],
    ["a+b", false],
    ["a\tb", false],
    ["a\u2003b", false],
    ["a\u0085b", false],
    ["a\u0001b", false],
    ["a\ud800", false],
    [7, false],
  ])("%j → %s", (name, want) => {
    expect(isValidKeyName(name as string)).toBe(want);
  });
});

describe("signNote", () => {
  it("reproduces the Go reference note from its private key", () => {
    // PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
    const seed = fromBase64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").slice(1);
    const key = ed25519PrivateKey(seed);
    const signer: NoteSigner = {
      name: "PeterNeumann",
      keyHash: fromHex("c74f20a3"),
      sign: (m) => new Uint8Array(sign(null, m, key)),
    };
    const [, vector] = loadNoteVectors<ValidNote>("note-valid").find(([n]) => n === "go-peter-neumann") as [
      string,
      ValidNote,
    ];
    expect(signNote(TEXT, [signer])).toBe(vector.note);
  });

  it("signs the UTF-8 text, final newline included, separator excluded", () => {
    const seen: Uint8Array[] = [];
    const note = signNote("知信\n", [
      {
        name: "k",
        keyHash: Uint8Array.of(1, 2, 3, 4),
        sign: (m) => {
          seen.push(m);
          return Uint8Array.of(9);
        },
      },
    ]);
    expect(seen).toEqual([utf8("知信\n")]);
    expect(note).toBe(`知信\n\n— k ${toBase64(Uint8Array.of(1, 2, 3, 4, 9))}\n`);
  });

  it("signs with Ed25519 and ECDSA keys that verify independently", () => {
    const ed = newKey("zhixin.example/demo", NOTE_SIGNATURE_TYPE_ED25519);
    const ec = newKey("dept.example/witness", NOTE_SIGNATURE_TYPE_ECDSA);
    const note = signNote(TEXT, [ed.signer, ec.signer]);
    expect(ids(verifyNote(note, [ec.verifier, ed.verifier]).verifiedBy)).toEqual([
      `zhixin.example/demo+${toHex(ed.signer.keyHash)}`,
      `dept.example/witness+${toHex(ec.signer.keyHash)}`,
    ]);
    expect(verifyNote(note, [ec.verifier]).verifiedBy).toEqual([ec.verifier]);
    // Verifiers built from the vkeys alone work the same.
    expect(verifyNote(note, [verifierFor(ed.vkey), verifierFor(ec.vkey)]).verifiedBy).toHaveLength(2);
  });

  it("rejects bad texts and signers", () => {
    const { signer } = newKey("k", NOTE_SIGNATURE_TYPE_ED25519);
    expectError(() => signNote("no newline", [signer]));
    expectError(() => signNote("tab\there\n", [signer]));
    expectError(() => signNote("\ud800\n", [signer]));
    expectError(() => signNote(7 as unknown as string, [signer]));
    expectError(() => signNote(TEXT, []));
    expectError(() => signNote(TEXT, "signer" as unknown as NoteSigner[]));
    expectError(() => signNote(TEXT, [{ ...signer, name: "a+b" }]));
    expectError(() => signNote(TEXT, [{ ...signer, keyHash: new Uint8Array(3) }]));
    expectError(() => signNote(TEXT, [{ ...signer, sign: () => new Uint8Array(0) }]));
    expectError(() => signNote(TEXT, [{ ...signer, sign: () => "sig" as unknown as Uint8Array }]));
  });

  it("lets a signer's own failure through unchanged", () => {
    const { signer } = newKey("k", NOTE_SIGNATURE_TYPE_ED25519);
    const failing = {
      ...signer,
      sign: () => {
        throw new Error("KMS unavailable");
      },
    };
    expect(() => signNote(TEXT, [failing])).toThrow("KMS unavailable");
  });
});

describe("formatSignedNote and parseSignedNote limits", () => {
  const sig: NoteSignature = { name: "k", keyHash: new Uint8Array(4), signature: new Uint8Array(64) };

  it("needs 1..MAX_NOTE_SIGNATURES well-formed signatures", () => {
    expectError(() => formatSignedNote(TEXT, []));
    expectError(() => formatSignedNote(TEXT, "sig" as unknown as NoteSignature[]));
    expectError(() => formatSignedNote(TEXT, Array(MAX_NOTE_SIGNATURES + 1).fill(sig)));
    expect(
      parseSignedNote(formatSignedNote(TEXT, Array(MAX_NOTE_SIGNATURES).fill(sig))).signatures,
    ).toHaveLength(MAX_NOTE_SIGNATURES);
    expectError(() => formatSignedNote(TEXT, [{ ...sig, signature: new Uint8Array(0) }]));
    expectError(() => formatSignedNote(TEXT, [{ ...sig, keyHash: new Uint8Array(5) }]));
    expectError(() => formatSignedNote(TEXT, [{ ...sig, name: "" }]));
    expectError(() => formatSignedNote("text", [sig]));
  });

  it("rejects more than MAX_NOTE_SIGNATURES signature lines", () => {
    const line = `— k ${toBase64(new Uint8Array(68))}\n`;
    expect(parseSignedNote(`${TEXT}\n${line.repeat(MAX_NOTE_SIGNATURES)}`).signatures).toHaveLength(100);
    expectError(() => parseSignedNote(`${TEXT}\n${line.repeat(MAX_NOTE_SIGNATURES + 1)}`));
  });

  it("accepts 16 post-quantum-sized signatures, as the spec requires", () => {
    const big = { ...sig, signature: new Uint8Array(4627) };
    const note = formatSignedNote(TEXT, Array(16).fill(big));
    expect(parseSignedNote(note).signatures).toHaveLength(16);
  });

  it("bounds the note size in UTF-8 bytes", () => {
    const line = `— k ${toBase64(new Uint8Array(68))}\n`;
    const fill = (n: number, c = "a") => `${c.repeat(n)}\n`;
    const limitText = fill(MAX_NOTE_SIZE - 1 - 1 - utf8(line).length);
    expect(parseSignedNote(`${limitText}\n${line}`).text).toBe(limitText);
    expect(parseSignedNote(utf8(`${limitText}\n${line}`)).text).toBe(limitText);
    expectError(() => parseSignedNote(`a${limitText}\n${line}`));
    expectError(() => parseSignedNote(utf8(`a${limitText}\n${line}`)));
    expect(formatSignedNote(limitText, [sig])).toBe(`${limitText}\n${line}`);
    expectError(() => formatSignedNote(`a${limitText}`, [sig]));
    // Fewer UTF-16 code units than the limit, but more UTF-8 bytes.
    expectError(() => parseSignedNote(`${fill(MAX_NOTE_SIZE / 3, "知")}\n${line}`));
    expectError(() => noteMessage("a".repeat(MAX_NOTE_SIZE + 1)));
  });

  it("rejects a note that is neither text nor bytes", () => {
    expectError(() => parseSignedNote(42 as unknown as string));
  });
});

describe("verifyNote", () => {
  const a = newKey("a.example", NOTE_SIGNATURE_TYPE_ED25519);
  const b = newKey("b.example", NOTE_SIGNATURE_TYPE_ED25519);
  const note = signNote(TEXT, [a.signer, b.signer]);

  it("returns the parsed note and the known keys that signed it", () => {
    const result = verifyNote(note, [b.verifier]);
    expect(result.text).toBe(TEXT);
    expect(result.signatures.map((s) => s.name)).toEqual(["a.example", "b.example"]);
    expect(result.verifiedBy).toEqual([b.verifier]);
    expect(verifyNote(utf8(note), [a.verifier, a.verifier]).verifiedBy).toEqual([a.verifier]);
  });

  it("refuses two different verifiers for one (name, key ID)", () => {
    expectError(() => verifyNote(note, [a.verifier, { ...a.verifier }]));
  });

  it("refuses malformed verifiers", () => {
    expectError(() => verifyNote(note, [{ ...a.verifier, keyHash: new Uint8Array(8) }]));
    expectError(() => verifyNote(note, [{ ...a.verifier, name: "a b" }]));
    expectError(() => verifyNote(note, a.verifier as unknown as NoteVerifier[]));
  });

  it("treats a verifier that throws, or answers anything but true, as a failed signature", () => {
    const throwing: NoteVerifier = {
      ...a.verifier,
      verify: () => {
        throw new Error("bad DER");
      },
    };
    expect(expectError(() => verifyNote(note, [throwing, b.verifier])).message).toContain("bad DER");
    const odd = {
      ...a.verifier,
      verify: () => {
        throw "not an Error";
      },
    };
    expect(expectError(() => verifyNote(note, [odd])).message).toContain("not an Error");
    const truthy = { ...a.verifier, verify: () => 1 as unknown as boolean };
    expectError(() => verifyNote(note, [truthy]));
  });

  it("gives each verifier its own copy of the message and signature", () => {
    const mutating: NoteVerifier = {
      ...a.verifier,
      verify: (m, s) => {
        const ok = a.verifier.verify(m, s);
        m.fill(0);
        s.fill(0);
        return ok;
      },
    };
    const twice = signNote(TEXT, [a.signer, a.signer]);
    expect(verifyNote(twice, [mutating]).verifiedBy).toEqual([mutating]);
  });
});

// Property tests: any well-formed text and signatures survive format → parse, and any
// change to a signed note's text makes a real signature fail.

const NO_CONTROLS = (s: string) =>
  [...s].filter((c) => c === "\n" || (c.codePointAt(0) as number) >= 0x20).join("");
const arbText = fc
  .array(fc.string({ unit: "binary", maxLength: 40 }).map(NO_CONTROLS), { maxLength: 6 })
  .map((lines) => `${lines.join("\n")}\n`);
const arbName = fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).filter(isValidKeyName);
const arbSignature = fc.record({
  name: arbName,
  keyHash: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  signature: fc.uint8Array({ minLength: 1, maxLength: 80 }),
});

describe("properties", () => {
  it("parseSignedNote(formatSignedNote(text, sigs)) gives back text and sigs", () => {
    fc.assert(
      fc.property(arbText, fc.array(arbSignature, { minLength: 1, maxLength: 5 }), (text, sigs) => {
        const note = formatSignedNote(text, sigs);
        expect(parseSignedNote(note)).toEqual({ text, signatures: sigs });
        expect(parseSignedNote(utf8(note))).toEqual({ text, signatures: sigs });
      }),
    );
  });

  it("every signed note verifies and every changed text fails", () => {
    const key = newKey("zhixin.example/demo", NOTE_SIGNATURE_TYPE_ED25519);
    fc.assert(
      fc.property(
        arbText,
        fc.nat(),
        fc.string({ unit: "binary", minLength: 1, maxLength: 3 }),
        (text, at, ins) => {
          const note = signNote(text, [key.signer]);
          expect(verifyNote(note, [key.verifier]).text).toBe(text);
          const i = at % text.length;
          const changed = text.slice(0, i) + NO_CONTROLS(ins) + text.slice(i);
          fc.pre(changed !== text);
          const forged = changed + note.slice(text.length);
          // Either the forgery no longer parses, or the known key's signature fails.
          expectError(() => verifyNote(forged, [key.verifier]));
        },
      ),
      { numRuns: 200 },
    );
  });
});
