import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cosignCheckpoint, fromBase64, MAX_NOTE_SIZE, parseSignedNote, toBase64, toHex, utf8 } from "#chain";
import {
  ADD_CHECKPOINT_STATUS,
  type AddCheckpointCode,
  formatAddCheckpointRequest,
  formatCosignatureResponse,
  MAX_ADD_CHECKPOINT_BODY,
  MAX_PROOF_LINES,
  parseAddCheckpointRequest,
  parseConflictResponse,
  parseCosignatureResponse,
} from "../../../../lib/witness/index.js";
import { expectChainError } from "../../../support/chain-errors.js";
import { leaves, signedCheckpoint, testLog, testWitness, treeOf } from "../../../support/witness-keys.js";
import { expectWitnessError, parseRefusal } from "./witness-errors.js";

// The bodies of POST /add-checkpoint and its answers (c2sp.org/tlog-witness,
// docs/formats/witness.md §3): every malformed request is refused before any decision,
// with its code and the status 400.

const VECTORS = new URL("../../../vectors/cosignature/", import.meta.url);
const vector = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, VECTORS), "utf8")) as T;

const log = testLog("zhixin.example/wire");
const tree = treeOf(leaves("w", 7));
const note = signedCheckpoint(log, tree);
const proof = tree.consistencyProof(3);
const hash = toBase64(new Uint8Array(32));

describe("the spec's example request", () => {
  it("parses to its old size, four proof hashes and the checkpoint with two signatures", () => {
    const v = vector<{
      body: string;
      want: { oldSize: number; proof: string[]; origin: string; size: number; signatures: number };
    }>("c2sp-add-checkpoint-request.json");
    const r = parseAddCheckpointRequest(v.body);
    expect({
      oldSize: r.oldSize,
      proof: r.proof.map(toBase64),
      origin: r.checkpoint.origin,
      size: r.checkpoint.size,
      signatures: r.note.signatures.length,
    }).toEqual(v.want);
    // The same bytes as UTF-8, as a function URL hands them over.
    expect(parseAddCheckpointRequest(utf8(v.body)).checkpoint.size).toBe(v.want.size);
    expect(formatAddCheckpointRequest(r.oldSize, r.proof, v.body.slice(v.body.indexOf("\n\n") + 2))).toBe(
      v.body,
    );
  });
});

describe("parseAddCheckpointRequest", () => {
  it("reads a request from old size 0 with no proof, and one with 63 proof lines", () => {
    const first = parseAddCheckpointRequest(`old 0\n\n${note}`);
    expect([first.oldSize, first.proof.length, first.checkpoint.size]).toEqual([0, 0, 7]);
    expect(first.note.text).toBe(parseSignedNote(note).text);
    const lines = `${hash}\n`.repeat(MAX_PROOF_LINES);
    expect(parseAddCheckpointRequest(`old 3\n${lines}\n${note}`).proof).toHaveLength(MAX_PROOF_LINES);
  });

  it("reads the largest old size, 2^53 - 1", () => {
    expect(parseAddCheckpointRequest(`old ${2 ** 53 - 1}\n\n${note}`).oldSize).toBe(2 ** 53 - 1);
  });

  const malformed: [string, string | Uint8Array, AddCheckpointCode][] = [
    ["an empty body", "", "OLD_SIZE_LINE_INVALID"],
    ["no old size line, the note alone", note, "OLD_SIZE_LINE_INVALID"],
    ["an old size line without its newline", "old 0", "OLD_SIZE_LINE_INVALID"],
    ["a leading zero", `old 07\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a negative size", `old -1\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a plus sign", `old +1\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["an exponent", `old 1e3\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["two spaces", `old  1\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a capital", `Old 1\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["CRLF", `old 1\r\n\r\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a trailing space", `old 1 \n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a size of 2^53", `old ${2 ** 53}\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["a size of 20 digits", `old ${"9".repeat(20)}\n\n${note}`, "OLD_SIZE_LINE_INVALID"],
    ["the old size line alone", "old 0\n", "BLANK_LINE_MISSING"],
    ["proof lines and no empty line", `old 3\n${hash}\n`, "BLANK_LINE_MISSING"],
    ["a proof line that is not base64", `old 3\nnot base64!\n\n${note}`, "PROOF_LINE_INVALID"],
    ["URL-safe base64", `old 3\n${"_".repeat(43)}=\n\n${note}`, "PROOF_LINE_INVALID"],
    ["base64 without padding", `old 3\n${hash.slice(0, -1)}\n\n${note}`, "PROOF_LINE_INVALID"],
    ["non-zero padding bits", `old 3\n${"A".repeat(42)}B=\n\n${note}`, "PROOF_LINE_INVALID"],
    ["a 31-byte hash", `old 3\n${toBase64(new Uint8Array(31))}\n\n${note}`, "PROOF_LINE_INVALID"],
    ["a 33-byte hash", `old 3\n${toBase64(new Uint8Array(33))}\n\n${note}`, "PROOF_LINE_INVALID"],
    ["a proof line with a space", `old 3\n ${hash}\n\n${note}`, "PROOF_LINE_INVALID"],
    ["64 proof lines", `old 3\n${`${hash}\n`.repeat(64)}\n${note}`, "TOO_MANY_PROOF_LINES"],
    ["nothing after the empty line", "old 0\n\n", "CHECKPOINT_MALFORMED"],
    ["a second empty line", `old 0\n\n\n${note}`, "CHECKPOINT_MALFORMED"],
    ["a checkpoint without signatures", `old 0\n\n${parseSignedNote(note).text}`, "CHECKPOINT_MALFORMED"],
    ["a note that is not a checkpoint", "old 0\n\nhello\n\n\u2014 k AAAAAAA=\n", "CHECKPOINT_MALFORMED"],
    ["a note without its final newline", `old 0\n\n${note.slice(0, -1)}`, "CHECKPOINT_MALFORMED"],
    ["a CR inside the note", `old 0\n\n${note.replace("\n", "\r\n")}`, "CHECKPOINT_MALFORMED"],
    [
      "a body over the limit, as text",
      `old 0\n\n${"x".repeat(MAX_ADD_CHECKPOINT_BODY)}`,
      "REQUEST_TOO_LARGE",
    ],
    ["a body over the limit, as bytes", new Uint8Array(MAX_ADD_CHECKPOINT_BODY + 1), "REQUEST_TOO_LARGE"],
    ["bytes that are not UTF-8", Uint8Array.of(0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a), "REQUEST_NOT_UTF8"],
    ["an overlong UTF-8 form", Uint8Array.of(0xc0, 0xaf), "REQUEST_NOT_UTF8"],
    ["a lone surrogate", `old 0\n\n\ud800${note}`, "REQUEST_NOT_UTF8"],
    ["neither text nor bytes", 42 as unknown as string, "REQUEST_NOT_UTF8"],
  ];

  it.each(malformed)("refuses %s with its code and 400", (_, body, code) => {
    expect(parseRefusal(body)).toEqual({ code, status: 400 });
  });

  it("counts the limit in UTF-8 bytes, not characters", () => {
    // Each "—" is 3 bytes: a body of MAX/3 + 1 of them is over the limit in bytes only.
    const wide = `old 0\n\n${"\u2014".repeat(Math.floor(MAX_ADD_CHECKPOINT_BODY / 3) + 1)}`;
    expect(wide.length).toBeLessThan(MAX_ADD_CHECKPOINT_BODY);
    expect(parseRefusal(wide)).toEqual({ code: "REQUEST_TOO_LARGE", status: 400 });
  });

  it("leaves room for the largest note after the largest proof", () => {
    const head = `old ${2 ** 53 - 1}\n${`${hash}\n`.repeat(MAX_PROOF_LINES)}\n`;
    expect(utf8(head).length + MAX_NOTE_SIZE).toBeLessThanOrEqual(MAX_ADD_CHECKPOINT_BODY);
  });

  it("gives every parse refusal the status 400, as only the decision has the spec's others", () => {
    const codes = new Set(malformed.map(([, , code]) => code));
    for (const code of codes) expect(ADD_CHECKPOINT_STATUS[code]).toBe(400);
  });
});

describe("formatAddCheckpointRequest", () => {
  it("round-trips any old size and proof with the checkpoint note", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: MAX_PROOF_LINES }),
        (oldSize, hashes) => {
          const body = formatAddCheckpointRequest(oldSize, hashes, note);
          const r = parseAddCheckpointRequest(body);
          expect(r.oldSize).toBe(oldSize);
          expect(r.proof.map(toHex)).toEqual(hashes.map(toHex));
          expect(r.checkpoint.rootHash).toEqual(tree.root());
        },
      ),
      { numRuns: 50 },
    );
  });

  it("writes the body byte for byte as the spec shows it", () => {
    expect(formatAddCheckpointRequest(3, proof, note)).toBe(
      `old 3\n${proof.map((h) => `${toBase64(h)}\n`).join("")}\n${note}`,
    );
  });

  it.each([
    ["a negative old size", () => formatAddCheckpointRequest(-1, [], note)],
    ["a fractional old size", () => formatAddCheckpointRequest(1.5, [], note)],
    ["an old size past 2^53 - 1", () => formatAddCheckpointRequest(2 ** 53, [], note)],
    ["64 proof hashes", () => formatAddCheckpointRequest(3, Array(64).fill(new Uint8Array(32)), note)],
    ["a 31-byte proof hash", () => formatAddCheckpointRequest(3, [new Uint8Array(31)], note)],
    ["a note that is not a signed checkpoint", () => formatAddCheckpointRequest(0, [], "hello\n")],
  ])("refuses %s (INVALID_INPUT)", (_, fn) => {
    expectWitnessError(fn, "INVALID_INPUT");
  });
});

describe("the 200 answer", () => {
  const witness = testWitness("dept-a.example/witness");
  const other = testWitness("dept-b.example/witness");
  const text = parseSignedNote(note).text;
  const lines = [
    cosignCheckpoint(text, 1_767_225_600, witness.signer),
    cosignCheckpoint(text, 2, other.signer),
  ];

  it("is one signature line per cosignature, and reads back after the checkpoint note", () => {
    const body = formatCosignatureResponse(lines);
    expect(body.split("\n")).toHaveLength(3);
    expect(body.startsWith("\u2014 dept-a.example/witness ")).toBe(true);
    expect(parseCosignatureResponse(note, body)).toEqual(lines);
  });

  it("reads the spec's example answer: three lines, two witnesses", () => {
    const request = vector<{ body: string }>("c2sp-add-checkpoint-request.json").body;
    const v = vector<{
      body: string;
      want: { names: string[]; keyHashes: string[]; signatureBytes: number };
    }>("c2sp-add-checkpoint-response.json");
    const read = parseCosignatureResponse(request.slice(request.indexOf("\n\n") + 2), v.body);
    expect(read.map((l) => l.name)).toEqual(v.want.names);
    expect(read.map((l) => toHex(l.keyHash))).toEqual(v.want.keyHashes);
    for (const l of read) expect(l.signature).toHaveLength(v.want.signatureBytes);
  });

  it.each([
    ["no cosignature", []],
    ["a key name with a space", [{ ...lines[0], name: "a b" }]],
    ["a 3-byte key ID", [{ ...lines[0], keyHash: new Uint8Array(3) }]],
    ["an empty signature", [{ ...lines[0], signature: new Uint8Array(0) }]],
  ])("formatCosignatureResponse refuses %s", (_, bad) => {
    expectWitnessError(() => formatCosignatureResponse(bad as typeof lines), "INVALID_INPUT");
  });

  it.each([
    ["an empty body", ""],
    ["a body starting with an empty line", `\n${formatCosignatureResponse(lines)}`],
    ["a line that is not a signature", "hello\n"],
    ["a line without its newline", formatCosignatureResponse(lines).slice(0, -1)],
    ["a hyphen for the em dash", formatCosignatureResponse(lines).replace("\u2014", "-")],
  ])("parseCosignatureResponse refuses %s (INVALID_INPUT)", (_, body) => {
    expectWitnessError(() => parseCosignatureResponse(note, body), "INVALID_INPUT");
  });

  it("refuses a checkpoint note of the caller's that is not a note (INVALID_NOTE)", () => {
    expectChainError(
      () => parseCosignatureResponse("hello\n", formatCosignatureResponse(lines)),
      "INVALID_NOTE",
    );
  });

  it("keeps the base64 exactly: a line's bytes are the key ID and the 72 bytes", () => {
    const body = formatCosignatureResponse([lines[0] as (typeof lines)[0]]);
    const b64 = body.slice(body.lastIndexOf(" ") + 1, -1);
    expect(fromBase64(b64)).toHaveLength(4 + 72);
  });
});

describe("the 409 answer", () => {
  it.each([
    ["0\n", 0],
    ["20852163\n", 20852163],
    [`${2 ** 53 - 1}\n`, 2 ** 53 - 1],
  ])("reads %j", (body, size) => {
    expect(parseConflictResponse(body)).toBe(size);
  });

  it.each(["", "5", "05\n", "-1\n", " 5\n", "5\n\n", "5\r\n", "five\n", `${2 ** 53}\n`])(
    "refuses %j (INVALID_INPUT)",
    (body) => {
      expectWitnessError(() => parseConflictResponse(body), "INVALID_INPUT");
    },
  );
});
