import { describe, expect, it } from "vitest";
import { emptyRoot, toHex } from "#chain";

describe("emptyRoot", () => {
  it("is SHA-256 of the empty string (RFC 9162 §2.1.1)", () => {
    expect(toHex(emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
