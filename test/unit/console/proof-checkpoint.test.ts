import { describe, expect, it } from "vitest";
import { cosignCheckpoint, formatCheckpoint, formatSignedNote, INTL, parseSignedNote } from "#chain";
import { checkpointSigners } from "../../../console/src/views/proof-checkpoint.js";
import type { TrustRoot } from "../../../lib/evidence/trust-root.js";
import { leaves, signedCheckpoint, testLog, testWitness, treeOf } from "../../support/witness-keys.js";
import { checks } from "../../vectors/evidence/ledger.js";

// The overview's signers (console/src/views/proof-checkpoint.ts): each line of a published
// checkpoint judged on its own against the trust root, or listed unchecked without one.

const log = testLog("zhixin.example/demo");
const [a, b, c] = ["hf-haikou", "hf-sanya", "internet-court"].map((n) => testWitness(n));
const root: TrustRoot = {
  log: log.origin,
  suite: INTL,
  sealers: [{ name: log.origin, keyHash: log.signer.keyHash, type: 0x01, publicKey: log.publicKey }],
  witnesses: [a, b, c].map((w) => (w as ReturnType<typeof testWitness>).key),
  quorum: 2,
};
const tree = treeOf(leaves("entry ", 7));
const text = formatCheckpoint({ origin: log.origin, size: tree.size, rootHash: tree.root() });

function note(
  witnesses: Array<ReturnType<typeof testWitness>>,
  sealer = signedCheckpoint(log, tree),
): string {
  const signed = parseSignedNote(sealer);
  return formatSignedNote(text, [
    ...signed.signatures,
    ...witnesses.map((w) => cosignCheckpoint(text, 1_760_000_000, w.signer)),
  ]);
}
const states = (r: ReturnType<typeof checkpointSigners>) => r.signers.map((s) => [s.name, s.role, s.state]);

describe("checkpointSigners", () => {
  it("lists the sealer and each witness, valid, with the quorum met", () => {
    const r = checkpointSigners(note([a, b] as never), root, checks);
    expect(states(r)).toEqual([
      [log.origin, "sealer", "valid"],
      ["hf-haikou", "witness", "valid"],
      ["hf-sanya", "witness", "valid"],
      ["internet-court", "witness", "absent"],
    ]);
    expect(r.trusted).toEqual({ sealer: true, witnessed: 2, quorum: 2, ok: true, sameLog: true });
    expect(r.checkpoint.size).toBe(7);
  });

  it("marks a forged line invalid, and the checkpoint untrusted", () => {
    const good = note([a, b, c] as never);
    // Flip a bit of hf-sanya's signature line.
    const lines = good.split("\n");
    const i = lines.findIndex((l) => l.startsWith("— hf-sanya "));
    const parts = (lines[i] as string).split(" ");
    const sig = Buffer.from(parts[2] as string, "base64");
    sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1);
    parts[2] = sig.toString("base64");
    lines[i] = parts.join(" ");
    const r = checkpointSigners(lines.join("\n"), root, checks);
    expect(states(r)).toContainEqual(["hf-sanya", "witness", "invalid"]);
    expect(states(r)).toContainEqual(["internet-court", "witness", "valid"]);
    expect(r.trusted?.ok).toBe(false);
  });

  it("marks a sealer signature by another key invalid", () => {
    const other = testLog(log.origin, "another sealer key");
    const r = checkpointSigners(note([a, b] as never, signedCheckpoint(other, tree)), root, checks);
    expect(states(r)[0]).toEqual([log.origin, "sealer", "unknown-key"]);
    expect(r.trusted).toMatchObject({ sealer: false, ok: false });
  });

  it("lists the lines unchecked without a trust root", () => {
    const r = checkpointSigners(note([a] as never), undefined, undefined);
    expect(states(r)).toEqual([
      [log.origin, "sealer", "unchecked"],
      ["hf-haikou", "witness", "unchecked"],
    ]);
    expect(r.trusted).toBeUndefined();
  });
});
