import type { VerifiedRequest } from "../../lib/http-signature/index.js";

/** Who made a request, as established by its verified RFC 9421 signature (see verifyRequest). */
export type Caller = VerifiedRequest;
