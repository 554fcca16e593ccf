import {
  buildSignatureBase,
  ChainError,
  equalBytes,
  MAX_CLOCK_SKEW_SECONDS,
  parseSignatureParams,
  type SignatureAlgorithm,
  type SignatureParams,
  signatureBaseText,
  utf8,
} from "#chain";
import { CryptoError } from "../crypto/errors.js";
import type { KeyDirectory, KeyRole, PublicKeyRecord } from "../crypto/key-directory.js";
import { SIGNATURE_SIZE } from "../crypto/keys.js";
import { type SignatureSuite, verifySignature } from "../crypto/verify.js";
import { ApiError } from "../protocol/errors.js";
import {
  BATCH_ROOT_HEADER,
  CONTENT_DIGEST_HEADER,
  DEPARTMENT_HEADER,
  DERIVED_COMPONENTS,
  derivedComponentValue,
  type HeaderValues,
  hasQuery,
  NONCE,
  normalizeHeaders,
  SIGNATURE_HEADER,
  SIGNATURE_INPUT_HEADER,
} from "./components.js";
import { sha256, sha256FromContentDigest } from "./content-digest.js";
import { type Dictionary, type DictionaryMember, parseDictionary, parseItem } from "./structured-fields.js";

export interface IncomingRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Raw query string without the "?"; undefined or "" when there is none. */
  query?: string | undefined;
  /** Header fields; names in any case (normally lowercase, as API Gateway gives them). */
  headers: HeaderValues;
  /** Exact body bytes; empty when there is no body. */
  body: Uint8Array;
}

export interface VerifyRequestOptions {
  keys: KeyDirectory;
  /** Receive time. */
  now: Date;
  /**
   * Allowed |now − created|. Default MAX_CLOCK_SKEW_SECONDS (300 s, ARCHITECTURE.md §5): the
   * audit's limit for receivedAt, so an entry this accepts is never RECEIVED_AT_INVALID.
   */
  maxSkewSeconds?: number;
  /** POST /v1/entries: the signature must cover a valid zhixin-batch-root. */
  requireBatchRoot: boolean;
  /** The ledger's suite: under gm its SM2 identifier is every signature's (docs/formats/sm2.md §2). */
  suite: SignatureSuite;
}

export interface VerifiedRequest {
  keyId: string;
  /** The zhixin-department header, equal to the key's owner. */
  department: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  created: number;
  /** Not checked for reuse here: the store's conditional write on (keyId, nonce) does that. */
  nonce: string;
  /** The RFC 9421 signature base exactly as verified; lib/chain parseSignatureBase reads it. */
  signatureBase: string;
  signature: Uint8Array;
  /** The covered zhixin-batch-root, when the signature covers one. */
  batchRoot?: Uint8Array;
}

type WithRequired<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };
type CompleteParams = WithRequired<SignatureParams, "created" | "keyid" | "alg" | "nonce">;

/**
 * Authenticates a request signed per the wire contract in ./index.ts. Synchronous; the
 * first failing check decides the error, always in this order:
 *
 *   SIGNATURE_MISSING             no Signature or no Signature-Input header
 *   SIGNATURE_MALFORMED           headers unparseable, not exactly one signature, labels differ,
 *                                 bad base64, created/keyid/alg/nonce missing, bad nonce,
 *                                 unsupported derived component
 *   SIGNATURE_COMPONENTS_MISSING  "@method" "@path" "zhixin-department" not covered; "content-digest"
 *                                 with a body, "@query" with a query, "zhixin-batch-root" if required;
 *                                 or a covered header (other than those two) absent
 *   UNKNOWN_KEY                   keyid not in the directory
 *   KEY_NOT_OWNED                 the key's owner is not the zhixin-department header
 *   ALG_MISMATCH                  alg is not the key's algorithm
 *   CLOCK_SKEW                    |now − created| > maxSkewSeconds, or past `expires`
 *   KEY_NOT_VALID                 now outside [validFrom, validUntil)
 *   DIGEST_MISSING                Content-Digest covered or body present, but no sha-256 digest
 *   DIGEST_MISMATCH               Content-Digest malformed or not the body's SHA-256
 *   BATCH_ROOT_MISSING            zhixin-batch-root required or covered, but absent or not
 *                                 a bare 32-byte sf-binary
 *   SIGNATURE_INVALID             the signature does not verify
 *
 * A key-directory entry whose SPKI does not fit its alg or whose validity times do not
 * parse is our fault: INTERNAL.
 */
export function verifyRequest(request: IncomingRequest, options: VerifyRequestOptions): VerifiedRequest {
  const { keys, now, maxSkewSeconds = MAX_CLOCK_SKEW_SECONDS, requireBatchRoot, suite } = options;
  const headers = normalizeHeaders(request.headers);

  // SIGNATURE_MISSING
  const signatureHeader = headers.get(SIGNATURE_HEADER);
  const inputHeader = headers.get(SIGNATURE_INPUT_HEADER);
  if (!signatureHeader || !inputHeader) {
    const absent = [!inputHeader && "Signature-Input", !signatureHeader && "Signature"].filter(Boolean);
    throw new ApiError("SIGNATURE_MISSING", `the request has no ${absent.join(" or ")} header`);
  }

  // SIGNATURE_MALFORMED
  const [label, input] = onlyMember(parseHeader(inputHeader, "Signature-Input"), "Signature-Input");
  const [signatureLabel, signatureMember] = onlyMember(
    parseHeader(signatureHeader, "Signature"),
    "Signature",
  );
  if (label !== signatureLabel) {
    throw malformed(`Signature-Input labels ${label} but Signature labels ${signatureLabel}`);
  }
  if (input.kind !== "inner-list") throw malformed(`Signature-Input ${label} is not an inner list`);
  if (
    signatureMember.kind !== "item" ||
    signatureMember.value.type !== "binary" ||
    signatureMember.params.size
  ) {
    throw malformed(`Signature ${label} is not a byte sequence without parameters`);
  }
  const signature = signatureMember.value.value;
  let componentIds: string[];
  let parsedParams: SignatureParams;
  try {
    ({ componentIds, params: parsedParams } = parseSignatureParams(input.raw));
  } catch (e) {
    if (e instanceof ChainError) throw malformed(`Signature-Input ${label}: ${e.message}`);
    throw e;
  }
  const params = completeParams(parsedParams);
  for (const id of componentIds) {
    if (id.startsWith("@") && !DERIVED_COMPONENTS.has(id)) {
      throw malformed(`derived component ${id} is not supported (only ${[...DERIVED_COMPONENTS].join(" ")})`);
    }
  }

  // SIGNATURE_COMPONENTS_MISSING
  const covered = new Set(componentIds);
  const required = ["@method", "@path", DEPARTMENT_HEADER];
  if (request.body.length > 0) required.push(CONTENT_DIGEST_HEADER);
  if (hasQuery(request)) required.push("@query");
  if (requireBatchRoot) required.push(BATCH_ROOT_HEADER);
  const uncovered = required.filter((id) => !covered.has(id));
  if (uncovered.length > 0) {
    throw new ApiError(
      "SIGNATURE_COMPONENTS_MISSING",
      `the signature must cover ${uncovered.map((id) => `"${id}"`).join(" ")}`,
    );
  }
  const absent = componentIds.filter(
    (id) =>
      !id.startsWith("@") && id !== CONTENT_DIGEST_HEADER && id !== BATCH_ROOT_HEADER && !headers.has(id),
  );
  if (absent.length > 0) {
    throw new ApiError(
      "SIGNATURE_COMPONENTS_MISSING",
      `covered header ${absent.join(", ")} is not in the request`,
    );
  }

  // UNKNOWN_KEY, KEY_NOT_OWNED, ALG_MISMATCH
  const key = keys.getKey(params.keyid);
  if (key === undefined)
    throw new ApiError("UNKNOWN_KEY", `key ${JSON.stringify(params.keyid)} is not registered`);
  const department = headers.get(DEPARTMENT_HEADER) ?? "";
  if (key.owner !== department) {
    throw new ApiError(
      "KEY_NOT_OWNED",
      `key ${key.keyId} belongs to ${key.owner}, not ${JSON.stringify(department)}`,
    );
  }
  if (params.alg !== key.alg) {
    throw new ApiError(
      "ALG_MISMATCH",
      `alg ${JSON.stringify(params.alg)} is not key ${key.keyId}'s ${key.alg}`,
    );
  }

  // CLOCK_SKEW
  const nowMs = now.getTime();
  if (Math.abs(nowMs - params.created * 1000) > maxSkewSeconds * 1000) {
    throw new ApiError(
      "CLOCK_SKEW",
      `created ${params.created} is more than ${maxSkewSeconds}s from the server's ${Math.floor(nowMs / 1000)}`,
    );
  }
  if (params.expires !== undefined && nowMs > params.expires * 1000) {
    throw new ApiError("CLOCK_SKEW", `the signature expired at ${params.expires}`);
  }

  // KEY_NOT_VALID
  checkKeyValidity(key, nowMs);

  // DIGEST_MISSING, DIGEST_MISMATCH
  const digestHeader = headers.get(CONTENT_DIGEST_HEADER);
  if (digestHeader === undefined && covered.has(CONTENT_DIGEST_HEADER)) {
    throw new ApiError("DIGEST_MISSING", "the request has no Content-Digest header");
  }
  if (digestHeader !== undefined) checkContentDigest(digestHeader, request.body);

  // BATCH_ROOT_MISSING
  const batchRoot = covered.has(BATCH_ROOT_HEADER)
    ? readBatchRoot(headers.get(BATCH_ROOT_HEADER))
    : undefined;

  // SIGNATURE_INVALID
  const components = componentIds.map((id): [string, string] => [
    id,
    id.startsWith("@") ? derivedComponentValue(id, request) : (headers.get(id) ?? ""),
  ]);
  let signatureBase: string;
  try {
    // The @signature-params line is the Signature-Input member as received (RFC 9421
    // §2.3): the signer chose the parameter order, and the signature covers that text.
    signatureBase = signatureBaseText({
      ...buildSignatureBase(components, params),
      signatureParams: input.raw,
    });
  } catch (e) {
    if (e instanceof ChainError) throw malformed(e.message);
    throw e;
  }
  if (signature.length !== SIGNATURE_SIZE) {
    throw new ApiError("SIGNATURE_INVALID", `signature is ${signature.length} bytes, not ${SIGNATURE_SIZE}`);
  }
  if (!verify(key, utf8(signatureBase), signature, suite)) {
    throw new ApiError("SIGNATURE_INVALID", `signature ${label} does not verify with key ${key.keyId}`);
  }

  return {
    keyId: key.keyId,
    department,
    role: key.role,
    alg: key.alg,
    created: params.created,
    nonce: params.nonce,
    signatureBase,
    signature,
    ...(batchRoot === undefined ? {} : { batchRoot }),
  };
}

function malformed(message: string): ApiError {
  return new ApiError("SIGNATURE_MALFORMED", message);
}

function parseHeader(value: string, name: string): Dictionary {
  try {
    return parseDictionary(value);
  } catch (e) {
    throw malformed(`${name} is not an RFC 8941 dictionary: ${(e as Error).message}`);
  }
}

function onlyMember(dict: Dictionary, name: string): [string, DictionaryMember] {
  const members = [...dict];
  const [first] = members;
  if (members.length !== 1 || first === undefined) {
    throw malformed(`${name} has ${members.length} members; a request carries exactly one signature`);
  }
  return first;
}

function completeParams(params: SignatureParams): CompleteParams {
  const { created, keyid, alg, nonce, expires } = params;
  if (created === undefined || keyid === undefined || alg === undefined || nonce === undefined) {
    const missing = Object.entries({ created, keyid, alg, nonce })
      .filter(([, v]) => v === undefined)
      .map(([k]) => k);
    throw malformed(`Signature-Input lacks ${missing.join(", ")}`);
  }
  if (!NONCE.test(nonce)) throw malformed("nonce must be 16..128 characters of [A-Za-z0-9_-]");
  if (expires !== undefined && expires < created) throw malformed("expires is before created");
  return { ...params, created, keyid, alg, nonce };
}

function checkKeyValidity(key: PublicKeyRecord, nowMs: number): void {
  const from = Date.parse(key.validFrom);
  const until = key.validUntil === undefined ? Number.POSITIVE_INFINITY : Date.parse(key.validUntil);
  if (Number.isNaN(from) || Number.isNaN(until)) {
    throw new ApiError("INTERNAL", `key ${key.keyId} has unparseable validity times`);
  }
  if (nowMs < from)
    throw new ApiError("KEY_NOT_VALID", `key ${key.keyId} is valid only from ${key.validFrom}`);
  if (nowMs >= until)
    throw new ApiError(
      "KEY_NOT_VALID",
      `key ${key.keyId} signs nothing since ${key.validUntil}: it was retired or revoked (\`zhixin keys show ${key.owner}\` lists ${key.owner}'s keys); sign with a current key`,
    );
}

function checkContentDigest(value: string, body: Uint8Array): void {
  let digest: Uint8Array | undefined;
  try {
    digest = sha256FromContentDigest(value);
  } catch (e) {
    throw new ApiError("DIGEST_MISMATCH", `Content-Digest is malformed: ${(e as Error).message}`);
  }
  if (digest === undefined) {
    throw new ApiError(
      "DIGEST_MISSING",
      "Content-Digest has no sha-256 member (the only algorithm accepted)",
    );
  }
  if (!equalBytes(digest, sha256(body))) {
    throw new ApiError("DIGEST_MISMATCH", "Content-Digest sha-256 is not the SHA-256 of the body");
  }
}

/*
 *   zhixin-batch-root: :<base64 of the 32-byte RFC 6962 root>:      (RFC 8941 sf-binary)
 */
function readBatchRoot(value: string | undefined): Uint8Array {
  if (value === undefined)
    throw new ApiError("BATCH_ROOT_MISSING", "the request has no zhixin-batch-root header");
  let root: Uint8Array | undefined;
  try {
    const item = parseItem(value);
    if (item.value.type === "binary" && item.params.size === 0) root = item.value.value;
  } catch {
    // reported below
  }
  if (root === undefined || root.length !== 32) {
    throw new ApiError("BATCH_ROOT_MISSING", "zhixin-batch-root is not a 32-byte byte sequence :<base64>:");
  }
  return root;
}

function verify(
  key: PublicKeyRecord,
  message: Uint8Array,
  signature: Uint8Array,
  suite: SignatureSuite,
): boolean {
  try {
    return verifySignature(key, message, signature, suite);
  } catch (e) {
    if (e instanceof CryptoError)
      throw new ApiError("INTERNAL", `key ${key.keyId} is unusable: ${e.message}`);
    throw e;
  }
}
