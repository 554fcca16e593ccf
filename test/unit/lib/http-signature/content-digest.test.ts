import { describe, expect, it } from "vitest";
import {
  contentDigestHeaderValue,
  sha256FromContentDigest,
} from "../../../../lib/http-signature/content-digest.js";
import { StructuredFieldError } from "../../../../lib/http-signature/structured-fields.js";

const body = new TextEncoder().encode('{"hello": "world"}');

describe("Content-Digest (RFC 9530)", () => {
  it('matches the RFC 9530 §2 example for {"hello": "world"}', () => {
    expect(contentDigestHeaderValue(body)).toBe("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  });

  it("reads the sha-256 member among others and ignores other algorithms", () => {
    const value =
      "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
    expect(Buffer.from(sha256FromContentDigest(value) ?? []).toString("base64")).toBe(
      "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    );
    expect(
      sha256FromContentDigest(
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
      ),
    ).toBeUndefined();
  });

  it.each([
    ["not a dictionary", "sha-256=X48E9q"],
    ["a digest of 31 bytes", "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:"],
    ["a string instead of a byte sequence", 'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="'],
    ["parameters on the digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;x=1"],
    [
      "the sha-256 key twice",
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
    ],
  ])("rejects %s", (_, value) => {
    expect(() => sha256FromContentDigest(value)).toThrow(StructuredFieldError);
  });
});
