import { ChainError } from "./errors.js";

/**
 * RFC 9421 §2.5 signature bases, restricted to what Zhixin signs: components named by
 * plain lowercase identifiers (derived "@method", "@path", "@query" and header fields,
 * without component parameters) and the parameters created, expires, keyid, alg, nonce, tag.
 *
 *   "@method": POST
 *   "@path": /v1/entries
 *   "content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
 *   "@signature-params": ("@method" "@path" "content-digest");created=1700000000;keyid="k1";alg="ed25519"
 *
 * Lines are joined by "\n" and the last line has no trailing newline. The base is kept
 * in every entry envelope so a department's request signature can be re-checked
 * without the server; parseSignatureBase is what a verifier uses to read it back.
 */

export interface SignatureParams {
  created?: number;
  expires?: number;
  keyid?: string;
  alg?: string;
  nonce?: string;
  tag?: string;
}

export interface SignatureBase {
  /** Covered components in order, each [identifier, value]. */
  components: Array<[string, string]>;
  params: SignatureParams;
  /** The `@signature-params` value: what goes in the Signature-Input header after `label=`. */
  signatureParams: string;
}

const COMPONENT_ID = /^@?[a-z0-9][a-z0-9_.-]*$/;
/**
 * The form of a Zhixin signature's `nonce`: 16..128 characters of the base64url alphabet
 * (no padding). It never holds "#", so a batch key `<keyId>#<nonce>` reads back one way.
 */
export const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const PARAM_ORDER = ["created", "expires", "keyid", "alg", "nonce", "tag"] as const;

/** RFC 8941 sf-string: printable ASCII, with `"` and `\` escaped. */
export function serializeSfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new ChainError("INVALID_ENCODING", "structured-field strings must be printable ASCII");
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function serializeSignatureParams(componentIds: readonly string[], params: SignatureParams): string {
  for (const id of componentIds) {
    if (!COMPONENT_ID.test(id)) throw new ChainError("INVALID_ENCODING", `bad component identifier ${id}`);
  }
  let out = `(${componentIds.map((id) => `"${id}"`).join(" ")})`;
  for (const key of PARAM_ORDER) {
    const v = params[key];
    if (v === undefined) continue;
    if (key === "created" || key === "expires") {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        throw new ChainError("INVALID_ENCODING", `${key} must be a non-negative integer`);
      }
      out += `;${key}=${v}`;
    } else {
      out += `;${key}=${serializeSfString(String(v))}`;
    }
  }
  return out;
}

/** Builds the exact text that is signed. Component values must not contain newlines. */
export function buildSignatureBase(
  components: ReadonlyArray<readonly [string, string]>,
  params: SignatureParams,
): SignatureBase {
  const signatureParams = serializeSignatureParams(
    components.map(([id]) => id),
    params,
  );
  for (const [id, value] of components) {
    if (/[\r\n]/.test(value)) throw new ChainError("INVALID_ENCODING", `component ${id} contains a newline`);
  }
  return { components: components.map(([id, v]) => [id, v]), params: { ...params }, signatureParams };
}

export function signatureBaseText(base: SignatureBase): string {
  return [
    ...base.components.map(([id, v]) => `"${id}": ${v}`),
    `"@signature-params": ${base.signatureParams}`,
  ].join("\n");
}

/**
 * Reads a signature base back. Strict: every covered component appears once, on its
 * own line, in the order the `@signature-params` line lists.
 */
export function parseSignatureBase(text: string): SignatureBase {
  const lines = text.split("\n");
  const last = lines.pop() as string;
  const PARAMS_PREFIX = '"@signature-params": ';
  if (!last.startsWith(PARAMS_PREFIX)) {
    throw new ChainError("INVALID_FORMAT", "signature base must end with the @signature-params line");
  }
  const { componentIds, params } = parseSignatureParams(last.slice(PARAMS_PREFIX.length));
  if (componentIds.length !== lines.length) {
    throw new ChainError(
      "INVALID_FORMAT",
      `signature base covers ${componentIds.length} components but has ${lines.length} lines`,
    );
  }
  const components: Array<[string, string]> = lines.map((line, i) => {
    const prefix = `"${componentIds[i]}": `;
    if (!line.startsWith(prefix))
      throw new ChainError("INVALID_FORMAT", `signature base line ${i + 1} is not ${prefix}…`);
    return [componentIds[i] as string, line.slice(prefix.length)];
  });
  for (const [id, v] of components) {
    if (v.includes("\r"))
      throw new ChainError("INVALID_FORMAT", `component ${id} contains a carriage return`);
  }
  // The parameters line is kept exactly as signed: RFC 9421 lets the signer choose
  // their order, and the signature covers the text, not a re-serialisation.
  return { components, params, signatureParams: last.slice(PARAMS_PREFIX.length) };
}

/** Parses `("a" "b");created=1;keyid="k"` (RFC 9421 §2.3) into identifiers and known parameters. */
export function parseSignatureParams(value: string): { componentIds: string[]; params: SignatureParams } {
  const m = /^\(((?:"[^"]*"(?: "[^"]*")*)?)\)((?:;[a-z]+=(?:\d+|"(?:[^"\\]|\\["\\])*"))*)$/.exec(value);
  if (!m)
    throw new ChainError("INVALID_FORMAT", "signature parameters are not an inner list with parameters");
  const componentIds =
    (m[1] as string).length === 0 ? [] : (m[1] as string).split(" ").map((s) => s.slice(1, -1));
  for (const id of componentIds) {
    if (!COMPONENT_ID.test(id)) throw new ChainError("INVALID_FORMAT", `bad component identifier ${id}`);
  }
  if (new Set(componentIds).size !== componentIds.length) {
    throw new ChainError("INVALID_FORMAT", "a component is covered twice");
  }
  const params: SignatureParams = {};
  const re = /;([a-z]+)=(\d+|"(?:[^"\\]|\\["\\])*")/g;
  for (let p = re.exec(m[2] as string); p; p = re.exec(m[2] as string)) {
    const key = p[1] as string;
    const raw = p[2] as string;
    if (!(PARAM_ORDER as readonly string[]).includes(key)) {
      throw new ChainError("INVALID_FORMAT", `unknown signature parameter ${key}`);
    }
    if (key in params) throw new ChainError("INVALID_FORMAT", `signature parameter ${key} repeated`);
    if (key === "created" || key === "expires") {
      if (raw.startsWith('"')) throw new ChainError("INVALID_FORMAT", `${key} must be an integer`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new ChainError("INVALID_FORMAT", `${key} is out of range`);
      params[key] = n;
    } else {
      if (!raw.startsWith('"')) throw new ChainError("INVALID_FORMAT", `${key} must be a string`);
      params[key as "keyid" | "alg" | "nonce" | "tag"] = raw.slice(1, -1).replace(/\\(["\\])/g, "$1");
    }
  }
  return { componentIds, params };
}
