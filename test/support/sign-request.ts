import { randomBytes } from "node:crypto";
import { type SignatureHeaders, type SignRequestInput, signRequest } from "../../lib/http-signature/index.js";

/** signRequest with the client's defaults for what the caller leaves out: now, and 24 random bytes as the nonce. */
export function signRequestNow(
  input: Omit<SignRequestInput, "created" | "nonce"> & { created?: number; nonce?: string },
): Promise<SignatureHeaders> {
  return signRequest({
    ...input,
    created: input.created ?? Math.floor(Date.now() / 1000),
    nonce: input.nonce ?? randomBytes(24).toString("base64url"),
  });
}
