/**
 * Request authentication: RFC 9421 HTTP Message Signatures with RFC 9530 Content-Digest
 * (ARCHITECTURE.md §5). Every API request is signed once by a department (or auditor)
 * key; this is the whole wire contract.
 *
 *   POST /v1/entries HTTP/1.1
 *   content-type: application/json
 *   content-digest: sha-256=:G0c/qKST7qsxDllTSVtZj+MKlnyBJCme5GrVndeJpmk=:
 *   zhixin-department: housing-fund-centre
 *   zhixin-batch-root: :AsxSIWL1anxkBQkqEW1Wu5b7uhLt4vIjdhzfzuYzjdo=:
 *   signature-input: sig1=("@method" "@path" "content-digest" "zhixin-department" "zhixin-batch-root");created=1767225600;keyid="test-key-ed25519";alg="ed25519";nonce="n7Qm2xV9kLp4Rt8Wz3Yb"
 *   signature: sig1=:RzkncoueVZEbFnY1Pbtew9RpkfGriWsWsSxw8eCXcU+rfW+tF7eWP5Yra1BfUgt0TsHhjEeirK5eTb0IDiEVCw==:
 *
 *   {"records":[{"type":"housing-fund.deposit-certificate","data":{...}}, ...]}
 *
 * whose signature base (RFC 9421 §2.5; lines joined by "\n", no final newline) is
 *
 *   "@method": POST
 *   "@path": /v1/entries
 *   "content-digest": sha-256=:G0c/qKST7qsxDllTSVtZj+MKlnyBJCme5GrVndeJpmk=:
 *   "zhixin-department": housing-fund-centre
 *   "zhixin-batch-root": :AsxSIWL1anxkBQkqEW1Wu5b7uhLt4vIjdhzfzuYzjdo=:
 *   "@signature-params": ("@method" "@path" "content-digest" "zhixin-department" "zhixin-batch-root");created=1767225600;keyid="test-key-ed25519";alg="ed25519";nonce="n7Qm2xV9kLp4Rt8Wz3Yb"
 *
 * (test/vectors/http-signature/zhixin-submit-ed25519.json holds this request in full.)
 *
 * Headers:
 *   content-digest     sha-256=:<base64 SHA-256 of the exact body bytes>: (RFC 9530).
 *                      Required, and covered, whenever there is a body.
 *   zhixin-department  the acting department or auditor identity; always covered; must
 *                      be the owner of the signing key.
 *   zhixin-batch-root  :<base64 32-byte RFC 6962 root over the batch's record hashes>:
 *                      (lib/chain batchRootHeaderValue); POST /v1/entries only; covered.
 *   signature-input    <label>=(<components>);created=<unix s>;keyid="<id>";alg="<alg>";nonce="<nonce>"
 *   signature          <label>=:<base64 signature>:
 *                      Exactly one member in each, with the same label (any RFC 8941 key).
 * Components, in this order: "@method" (uppercase), "@path" (no query), "@query"
 * ("?" + raw query; covered iff there is a query), "content-digest" (iff a body),
 * "zhixin-department", "zhixin-batch-root" (iff submitting). Header values are trimmed.
 * Parameters: created (integer seconds, within ±300 s of the server clock), keyid, alg
 * (ed25519 | ecdsa-p256-sha256, the key's), nonce (16..128 of [A-Za-z0-9_-], never reused
 * with the same key). Signatures are 64 bytes: Ed25519, or ECDSA P-256 as r||s.
 */

export {
  BATCH_ROOT_HEADER,
  CONTENT_DIGEST_HEADER,
  DEFAULT_LABEL,
  DEPARTMENT_HEADER,
  type HeaderValues,
  NONCE,
  normalizeHeaders,
  SIGNATURE_HEADER,
  SIGNATURE_INPUT_HEADER,
} from "./components.js";
export { contentDigestHeaderValue, sha256FromContentDigest } from "./content-digest.js";
export { type SignatureHeaders, type SignRequestInput, signRequest } from "./sign.js";
export {
  type BareItem,
  type Dictionary,
  type DictionaryMember,
  type Item,
  type Parameters,
  parseDictionary,
  parseItem,
  StructuredFieldError,
} from "./structured-fields.js";
export {
  type IncomingRequest,
  type VerifiedRequest,
  type VerifyRequestOptions,
  verifyRequest,
} from "./verify.js";
