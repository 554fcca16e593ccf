import type { SignatureAlgorithm } from "#chain";
import type { KeyRole } from "./ports.js";

/** Who made a request, as established by its verified RFC 9421 signature. */
export interface Caller {
  keyId: string;
  /** The acting member: a department id, or an auditor identity. */
  department: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  /** Signature parameter `created`, Unix seconds. */
  created: number;
  nonce: string;
  /** The RFC 9421 signature base text, exactly as signed. */
  signatureBase: string;
  signature: Uint8Array;
  /** The signed zhixin-batch-root, on submit requests. */
  batchRoot?: Uint8Array;
}
