import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildSignatureBase,
  fromBase64,
  fromHex,
  INTL,
  parseSignatureBase,
  type SignatureAlgorithm,
  signatureBaseText,
  toBase64,
  utf8,
} from "#chain";
import type { KeyRole, PublicKeyRecord } from "../../../../lib/crypto/key-directory.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { verifySignature } from "../../../../lib/crypto/verify.js";
import { signRequest, verifyRequest } from "../../../../lib/http-signature/index.js";
import { ApiError } from "../../../../lib/protocol/errors.js";
import { MemoryKeyDirectory } from "./support.js";

const VECTORS = new URL("../../../vectors/http-signature/", import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, VECTORS), "utf8")) as T;

const spkiOf = (pem: string): Uint8Array =>
  new Uint8Array(createPublicKey(pem).export({ format: "der", type: "spki" }));
const sfBinary = (member: string): Uint8Array => fromBase64(member.slice(member.indexOf("=:") + 2, -1));

interface RfcB26 {
  privateKeyPem: string;
  publicKeyPem: string;
  components: Array<[string, string]>;
  params: { created: number; keyid: string };
  label: string;
  signatureBase: string;
  signatureInput: string;
  signature: string;
}

describe("RFC 9421 Appendix B.2.6 (ed25519)", () => {
  const v = load<RfcB26>("rfc9421-b26-ed25519.json");
  const key = { keyId: v.params.keyid, alg: "ed25519" as const, spki: spkiOf(v.publicKeyPem) };

  it("our base builder reproduces the RFC's signature base and Signature-Input", () => {
    const base = buildSignatureBase(v.components, v.params);
    expect(signatureBaseText(base)).toBe(v.signatureBase);
    expect(`${v.label}=${base.signatureParams}`).toBe(v.signatureInput);
    expect(parseSignatureBase(v.signatureBase).components).toEqual(v.components);
  });

  it("LocalSigner reproduces the RFC's signature and crypto/verify accepts it", async () => {
    const signer = new LocalSigner(v.params.keyid, createPrivateKey(v.privateKeyPem));
    expect(await signer.publicKey()).toEqual(key.spki);
    const signature = await signer.sign(utf8(v.signatureBase));
    expect(`${v.label}=:${toBase64(signature)}:`).toBe(v.signature);
    expect(verifySignature(key, utf8(v.signatureBase), sfBinary(v.signature), INTL)).toBe(true);
  });
});

interface ZhixinVector {
  key: {
    keyId: string;
    owner: string;
    role: KeyRole;
    alg: SignatureAlgorithm;
    validFrom: string;
    privateKeyPem: string;
    publicKeyPem: string;
  };
  request: {
    method: string;
    path: string;
    body: string;
    department: string;
    batchRootHex: string;
    created: number;
    nonce: string;
  };
  headers: Record<string, string>;
  signatureBase: string;
  verify: { now: string; requireBatchRoot: boolean };
  negative: Array<{
    description: string;
    change: {
      method?: string;
      path?: string;
      body?: string;
      now?: string;
      headers?: Record<string, string | null>;
      key?: Partial<PublicKeyRecord>;
    };
    code: string;
  }>;
}

describe("Zhixin submit vector (test-key-ed25519)", () => {
  const v = load<ZhixinVector>("zhixin-submit-ed25519.json");
  const record: PublicKeyRecord = {
    keyId: v.key.keyId,
    owner: v.key.owner,
    role: v.key.role,
    alg: v.key.alg,
    spki: spkiOf(v.key.publicKeyPem),
    validFrom: v.key.validFrom,
  };
  const request = {
    method: v.request.method,
    path: v.request.path,
    headers: { "content-type": "application/json", ...v.headers },
    body: utf8(v.request.body),
  };

  it("signRequest reproduces the headers byte for byte", async () => {
    const headers = await signRequest({
      method: v.request.method,
      path: v.request.path,
      body: utf8(v.request.body),
      signer: new LocalSigner(v.key.keyId, createPrivateKey(v.key.privateKeyPem)),
      department: v.request.department,
      nonce: v.request.nonce,
      created: v.request.created,
      batchRoot: fromHex(v.request.batchRootHex),
    });
    expect(headers).toEqual(v.headers);
  });

  it("verifyRequest accepts it and returns the vector's signature base", () => {
    const verified = verifyRequest(request, {
      keys: new MemoryKeyDirectory([record]),
      now: new Date(v.verify.now),
      requireBatchRoot: v.verify.requireBatchRoot,
      suite: INTL,
    });
    expect(verified.signatureBase).toBe(v.signatureBase);
    expect(verified.batchRoot).toEqual(fromHex(v.request.batchRootHex));
    expect(verified.nonce).toBe(v.request.nonce);
  });

  it.each(v.negative)("refuses: $description", ({ change, code }) => {
    const headers: Record<string, string> = { ...request.headers };
    for (const [name, value] of Object.entries(change.headers ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    let actual = "accepted";
    try {
      verifyRequest(
        {
          method: change.method ?? request.method,
          path: change.path ?? request.path,
          headers,
          body: change.body === undefined ? request.body : utf8(change.body),
        },
        {
          keys: new MemoryKeyDirectory([{ ...record, ...change.key }]),
          now: new Date(change.now ?? v.verify.now),
          requireBatchRoot: v.verify.requireBatchRoot,
          suite: INTL,
        },
      );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      actual = e.code;
    }
    expect(actual).toBe(code);
  });
});
