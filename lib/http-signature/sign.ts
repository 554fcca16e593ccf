import { batchRootHeaderValue, buildSignatureBase, signatureBaseText, toBase64, utf8 } from "#chain";
import type { Signer } from "../crypto/signer.js";
import {
  BATCH_ROOT_HEADER,
  CONTENT_DIGEST_HEADER,
  DEFAULT_LABEL,
  DEPARTMENT_HEADER,
  derivedComponentValue,
  type HeaderValues,
  hasQuery,
  NONCE,
  normalizeHeaders,
  SIGNATURE_HEADER,
  SIGNATURE_INPUT_HEADER,
} from "./components.js";
import { contentDigestHeaderValue } from "./content-digest.js";

export interface SignRequestInput {
  method: string;
  /** Absolute path without the query, e.g. /v1/entries. */
  path: string;
  /** Raw query string without the "?", exactly as it will be sent. */
  query?: string;
  /** Headers the request already has; they must not already carry any header signRequest adds. */
  headers?: HeaderValues;
  /** Exact body bytes. Any body, even empty, gets a covered Content-Digest. */
  body?: Uint8Array;
  signer: Signer;
  /** Acting department (or auditor identity): the owner of the signer's key. */
  department: string;
  /**
   * Fresh per request, 16..128 characters of [A-Za-z0-9_-]; clients use 24 random bytes,
   * base64url (32 characters). The caller draws it: signing reads no clock and no randomness.
   */
  nonce: string;
  /** Unix seconds, the caller's clock. */
  created: number;
  /** 32-byte RFC 6962 root over the batch's record hashes (POST /v1/entries). */
  batchRoot?: Uint8Array;
  /** Signature label. Default "sig1". */
  label?: string;
}

/** The headers signRequest adds, lowercase names. */
export interface SignatureHeaders {
  "content-digest"?: string;
  "zhixin-department": string;
  "zhixin-batch-root"?: string;
  "signature-input": string;
  signature: string;
}

const LABEL = /^[a-z*][a-z0-9_.*-]*$/;
const HEADER_TEXT = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Signs a request as the wire contract in ./index.ts describes: covers "@method" "@path",
 * "@query" when there is a query, "content-digest" when there is a body,
 * "zhixin-department" and "zhixin-batch-root" when a batch root is given, with
 * created, keyid, alg and nonce. One call to `signer.sign`. Throws TypeError for
 * arguments that could not produce a verifiable request.
 */
export async function signRequest(input: SignRequestInput): Promise<SignatureHeaders> {
  const { signer, department, body, batchRoot } = input;
  const label = input.label ?? DEFAULT_LABEL;
  const { nonce, created } = input;
  if (!LABEL.test(label))
    throw new TypeError(`signature label ${JSON.stringify(label)} is not an RFC 8941 key`);
  if (!NONCE.test(nonce)) throw new TypeError("nonce must be 16..128 characters of [A-Za-z0-9_-]");
  if (!Number.isSafeInteger(created) || created < 0) throw new TypeError("created must be unix seconds");
  if (!input.path.startsWith("/") || /[?#\s]/.test(input.path)) {
    throw new TypeError(
      `path ${JSON.stringify(input.path)} must be an absolute path without query or spaces`,
    );
  }
  if (input.query !== undefined && /^\?|[#\s]/.test(input.query)) {
    throw new TypeError("query must be the raw query string, without a leading ? or spaces");
  }
  if (!HEADER_TEXT.test(department)) throw new TypeError("department must be printable ASCII, not padded");
  if (batchRoot !== undefined && batchRoot.length !== 32) throw new TypeError("batchRoot must be 32 bytes");

  const headers: SignatureHeaders = {
    ...(body === undefined ? {} : { [CONTENT_DIGEST_HEADER]: contentDigestHeaderValue(body) }),
    [DEPARTMENT_HEADER]: department,
    ...(batchRoot === undefined ? {} : { [BATCH_ROOT_HEADER]: batchRootHeaderValue(batchRoot) }),
    [SIGNATURE_INPUT_HEADER]: "",
    [SIGNATURE_HEADER]: "",
  };
  const existing = normalizeHeaders(input.headers ?? {});
  for (const name of Object.keys(headers)) {
    if (existing.has(name)) throw new TypeError(`the request already has a ${name} header`);
  }

  const components: Array<[string, string]> = [
    ["@method", derivedComponentValue("@method", input)],
    ["@path", derivedComponentValue("@path", input)],
  ];
  if (hasQuery(input)) components.push(["@query", derivedComponentValue("@query", input)]);
  for (const name of [CONTENT_DIGEST_HEADER, DEPARTMENT_HEADER, BATCH_ROOT_HEADER] as const) {
    const value = headers[name];
    if (value !== undefined) components.push([name, value]);
  }
  const base = buildSignatureBase(components, { created, keyid: signer.keyId, alg: signer.alg, nonce });
  const signature = await signer.sign(utf8(signatureBaseText(base)));
  headers[SIGNATURE_INPUT_HEADER] = `${label}=${base.signatureParams}`;
  headers[SIGNATURE_HEADER] = `${label}=:${toBase64(signature)}:`;
  return headers;
}
