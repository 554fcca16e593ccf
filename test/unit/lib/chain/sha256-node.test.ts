import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INTL, toHex } from "#chain";
import { sha256Node } from "../../../../lib/chain/sha256-node.js";

// The specialised node hash must be SHA-256(0x01 || left || right) exactly: checked
// against @noble/hashes on random inputs and on every value of the byte whose
// second-block schedule is precomputed.

const reference = (l: Uint8Array, r: Uint8Array) => {
  const input = new Uint8Array(65);
  input[0] = 1;
  input.set(l, 1);
  input.set(r, 33);
  return toHex(sha256(input));
};

describe("sha256Node", () => {
  it("equals SHA-256(0x01 || l || r) on random inputs", () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(hash, hash, (l, r) => toHex(sha256Node(l, r)) === reference(l, r)),
      { numRuns: 2000 },
    );
  });

  it("is right for all 256 values of right[31] (the precomputed schedules)", () => {
    const l = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 255);
    for (let v = 0; v < 256; v++) {
      const r = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? v : 255 - i));
      expect(toHex(sha256Node(l, r))).toBe(reference(l, r));
    }
  });

  it("gives a fresh array each call (callers keep the result)", () => {
    const a = new Uint8Array(32);
    const first = sha256Node(a, a);
    const second = sha256Node(
      a,
      a.map(() => 1),
    );
    expect(first).not.toBe(second);
    expect(toHex(first)).toBe(reference(a, a));
  });

  it("hashChildren of the RFC 6962 empty-leaf pair (known answer)", () => {
    // SHA-256(0x00) is the leaf hash of the empty string; its node with itself:
    const leaf = sha256(new Uint8Array([0]));
    expect(toHex(INTL.hashChildren(leaf, leaf))).toBe(reference(leaf, leaf));
  });
});
