import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BatchPosition,
  checkEnvelopeBinding,
  contentDigest,
  type EntryEnvelope,
  entryIdFor,
  INTL,
  parseSignatureBase,
  recordHash,
  signatureBaseText,
  toBase64,
  toHex,
  utf8,
} from "#chain";
import {
  type IncomingRequest,
  type SignRequestInput,
  signRequest,
  type VerifyRequestOptions,
  verifyRequest,
} from "../../../../lib/http-signature/index.js";
import { ApiError, type ApiErrorCode } from "../../../../lib/protocol/errors.js";
import { MemoryKeyDirectory, makeKey, recording, type TestKey } from "./support.js";

// signRequest and verifyRequest (the request-signing wire contract). Past 400 lines: round
// trips, tampering and a refusal case per error code, all on the same fixtures.

const NOW = new Date("2026-03-01T08:00:00.000Z");
const CREATED = NOW.getTime() / 1000;
const NONCE = "Qm9uam91ci1ub25jZQ";
const ROOT = new Uint8Array(32).map((_, i) => i + 1);
const BODY = utf8('{"records":[{"type":"civil-affairs.marriage-registration","data":{"no":"MR-1"}}]}');

let ed: TestKey;
let p256: TestKey;
let auditor: TestKey;
let revoked: TestKey;
let broken: TestKey;
let keys: MemoryKeyDirectory;

beforeAll(async () => {
  ed = await makeKey("civil-affairs-ed", "ed25519", "civil-affairs");
  p256 = await makeKey("housing-p256", "ecdsa-p256-sha256", "housing-fund-centre");
  auditor = await makeKey("audit-office-1", "ed25519", "auditor", { role: "auditor" });
  revoked = await makeKey("civil-affairs-old", "ed25519", "civil-affairs", {
    validFrom: "2025-01-01T00:00:00.000Z",
    validUntil: "2026-02-01T00:00:00.000Z",
  });
  const stranger = await makeKey("stranger", "ecdsa-p256-sha256", "civil-affairs");
  // A directory entry whose SPKI is a P-256 key although it claims ed25519: our fault.
  broken = {
    signer: (await makeKey("broken", "ed25519", "civil-affairs")).signer,
    record: { ...stranger.record, keyId: "broken", alg: "ed25519" },
  };
  keys = new MemoryKeyDirectory([ed.record, p256.record, auditor.record, revoked.record, broken.record]);
});

function options(extra: Partial<VerifyRequestOptions> = {}): VerifyRequestOptions {
  return { keys, now: NOW, requireBatchRoot: true, suite: INTL, ...extra };
}

/** A signed POST /v1/entries by `key`, as a handler would receive it. */
async function submit(
  key: TestKey,
  extra: Partial<SignRequestInput> = {},
): Promise<IncomingRequest & { headers: Record<string, string> }> {
  const input: SignRequestInput = {
    method: "POST",
    path: "/v1/entries",
    body: BODY,
    signer: key.signer,
    department: key.record.owner,
    nonce: NONCE,
    created: CREATED,
    batchRoot: ROOT,
    ...extra,
  };
  const added = await signRequest(input);
  return {
    method: input.method,
    path: input.path,
    query: input.query,
    headers: { "content-type": "application/json", ...(added as unknown as Record<string, string>) },
    body: input.body ?? new Uint8Array(0),
  };
}

/**
 * A request whose signature covers exactly `componentIds` with the parameters text
 * `params` (after the inner list), correctly signed by `key`: for reaching checks that
 * signRequest never lets a request fail.
 */
async function craft(
  key: TestKey,
  request: IncomingRequest & { headers: Record<string, string> },
  componentIds: string[],
  params: string,
  label = "sig1",
): Promise<IncomingRequest & { headers: Record<string, string> }> {
  const value = (id: string): string =>
    id === "@method"
      ? request.method.toUpperCase()
      : id === "@path"
        ? request.path
        : id === "@query"
          ? `?${request.query ?? ""}`
          : (request.headers[id] ?? "");
  const signatureParams = `(${componentIds.map((id) => `"${id}"`).join(" ")})${params}`;
  const base = signatureBaseText({
    components: componentIds.map((id) => [id, value(id)]),
    params: {},
    signatureParams,
  });
  const signature = await key.signer.sign(utf8(base));
  const headers = { ...request.headers };
  delete headers.signature;
  delete headers["signature-input"];
  return {
    ...request,
    headers: {
      ...headers,
      "signature-input": `${label}=${signatureParams}`,
      signature: `${label}=:${toBase64(signature)}:`,
    },
  };
}

const SUBMIT_COMPONENTS = ["@method", "@path", "content-digest", "zhixin-department", "zhixin-batch-root"];

function params(key: TestKey, over: Record<string, string | number | undefined> = {}): string {
  const all: Record<string, string | number | undefined> = {
    created: CREATED,
    keyid: key.record.keyId,
    alg: key.record.alg,
    nonce: NONCE,
    ...over,
  };
  return Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (typeof v === "number" ? `;${k}=${v}` : `;${k}="${v}"`))
    .join("");
}

function codeOf(request: IncomingRequest, opts: VerifyRequestOptions = options()): ApiErrorCode | "accepted" {
  try {
    verifyRequest(request, opts);
    return "accepted";
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

function withHeaders<T extends { headers: Record<string, string> }>(
  request: T,
  change: Record<string, string | undefined>,
): T {
  const headers = { ...request.headers };
  for (const [name, value] of Object.entries(change)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { ...request, headers };
}

describe("signRequest → verifyRequest round trip", () => {
  it.each(["ed25519", "ecdsa-p256-sha256"] as const)("%s: a submit request verifies", async (alg) => {
    const key = alg === "ed25519" ? ed : p256;
    const signer = recording(key.signer);
    const request = await submit(key, { signer });
    const verified = verifyRequest(request, options());
    expect(verified).toEqual({
      keyId: key.record.keyId,
      department: key.record.owner,
      role: "department",
      alg,
      created: CREATED,
      nonce: NONCE,
      signatureBase: expect.any(String),
      signature: expect.any(Uint8Array),
      batchRoot: ROOT,
    });
    expect(verified.signature.length).toBe(64);
    // The base kept for the ledger is byte for byte what the department's key signed.
    expect(signer.messages).toEqual([utf8(verified.signatureBase)]);
    expect(verified.signatureBase).toBe(
      [
        '"@method": POST',
        '"@path": /v1/entries',
        `"content-digest": ${request.headers["content-digest"]}`,
        `"zhixin-department": ${key.record.owner}`,
        `"zhixin-batch-root": :${toBase64(ROOT)}:`,
        `"@signature-params": ("@method" "@path" "content-digest" "zhixin-department" "zhixin-batch-root");created=${CREATED};keyid="${key.record.keyId}";alg="${alg}";nonce="${NONCE}"`,
      ].join("\n"),
    );
  });

  it("the verified base reads back with lib/chain and binds an entry envelope", async () => {
    const type = "civil-affairs.marriage-registration";
    const digest = contentDigest(INTL, { no: "MR-1" });
    const record = recordHash(INTL, type, digest);
    const request = await submit(ed, { batchRoot: record });
    const verified = verifyRequest(request, options());
    const parsed = parseSignatureBase(verified.signatureBase);
    expect(parsed.components.map(([id]) => id)).toEqual(SUBMIT_COMPONENTS);
    expect(parsed.params).toEqual({ created: CREATED, keyid: ed.record.keyId, alg: "ed25519", nonce: NONCE });
    expect(signatureBaseText(parsed)).toBe(verified.signatureBase);

    const batch: BatchPosition = { size: 1, index: 0, root: toHex(record), path: [] };
    const envelope: EntryEnvelope = {
      v: 1,
      id: entryIdFor(INTL, verified.keyId, verified.nonce, 0, record),
      dept: verified.department,
      type,
      contentDigest: digest,
      keyId: verified.keyId,
      alg: verified.alg,
      signatureBase: verified.signatureBase,
      signature: toBase64(verified.signature),
      batch,
      receivedAt: NOW.toISOString(),
    };
    expect(() => checkEnvelopeBinding(INTL, envelope)).not.toThrow();
  });

  it("a GET with a query, no body and no batch root verifies (auditor identity)", async () => {
    const request = await submit(auditor, {
      method: "get",
      path: "/v1/entries/0123456789abcdef0123456789abcdef",
      query: "proof=inclusion&size=1024",
      body: undefined,
      batchRoot: undefined,
    });
    expect(request.headers["content-digest"]).toBeUndefined();
    expect(request.headers["signature-input"]).toContain('("@method" "@path" "@query" "zhixin-department")');
    const verified = verifyRequest(request, options({ requireBatchRoot: false }));
    expect(verified.role).toBe("auditor");
    expect(verified.batchRoot).toBeUndefined();
    expect(verified.signatureBase).toContain('"@method": GET\n');
    expect(verified.signatureBase).toContain('"@query": ?proof=inclusion&size=1024\n');
    expect(
      codeOf({ ...request, query: "proof=inclusion&size=1025" }, options({ requireBatchRoot: false })),
    ).toBe("SIGNATURE_INVALID");
  });

  it("header names are case-insensitive and values trimmed; repeated fields are combined", async () => {
    const request = await submit(ed);
    const shouted: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      shouted[name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())] =
        ` ${value}\t`;
    }
    expect(Object.keys(shouted)).toContain("Signature-Input");
    expect(verifyRequest({ ...request, headers: shouted }, options()).keyId).toBe(ed.record.keyId);
    // Two Signature fields (e.g. "Signature" and "signature") make two members: refused.
    expect(
      codeOf({ ...request, headers: { ...request.headers, Signature: request.headers.signature ?? "" } }),
    ).toBe("SIGNATURE_MALFORMED");
  });

  it("accepts any label and the signer's own parameter order", async () => {
    const request = await submit(ed);
    const reordered = await craft(
      ed,
      request,
      SUBMIT_COMPONENTS,
      `;nonce="${NONCE}";alg="ed25519";keyid="${ed.record.keyId}";created=${CREATED}`,
      "zhixin-2",
    );
    const verified = verifyRequest(reordered, options());
    expect(
      verified.signatureBase.endsWith(
        `;nonce="${NONCE}";alg="ed25519";keyid="${ed.record.keyId}";created=${CREATED}`,
      ),
    ).toBe(true);
    expect(parseSignatureBase(verified.signatureBase).params.created).toBe(CREATED);
  });

  it("reads no clock and no randomness: the same input signs to the same headers (Ed25519 is deterministic)", async () => {
    const input: SignRequestInput = {
      method: "GET",
      path: "/v1/checkpoint",
      signer: ed.signer,
      department: "civil-affairs",
      nonce: NONCE,
      created: CREATED,
    };
    const a = await signRequest(input);
    expect(await signRequest({ ...input })).toEqual(a);
    expect(a["signature-input"]).toContain(`;created=${CREATED};`);
    expect(a["signature-input"]).toContain(`;nonce="${NONCE}"`);
  });

  it("refuses a missing nonce or created rather than inventing one", async () => {
    const input = { method: "GET", path: "/v1/checkpoint", signer: ed.signer, department: "civil-affairs" };
    await expect(signRequest({ ...input, created: CREATED } as unknown as SignRequestInput)).rejects.toThrow(
      /nonce/,
    );
    await expect(signRequest({ ...input, nonce: NONCE } as unknown as SignRequestInput)).rejects.toThrow(
      /created/,
    );
  });

  it("every signed request verifies; every changed body is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        fc.stringMatching(/^(\/[a-zA-Z0-9._~%-]{0,12}){1,4}$/),
        fc.option(fc.stringMatching(/^[a-zA-Z0-9=&%._-]{1,30}$/), { nil: undefined }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        async (method, path, query, body, at) => {
          const key = at % 2 === 0 ? ed : p256;
          const request = await submit(key, { method, path, query, body, batchRoot: undefined });
          const opts = options({ requireBatchRoot: false });
          expect(codeOf(request, opts)).toBe("accepted");
          const changed = body.slice();
          changed[at % changed.length] = (changed[at % changed.length] as number) ^ 1;
          expect(codeOf({ ...request, body: changed }, opts)).toBe("DIGEST_MISMATCH");
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("tampering", () => {
  it("with the method, path, query, body, department or batch root is refused", async () => {
    const request = await submit(ed);
    expect(codeOf(request)).toBe("accepted");
    expect(codeOf({ ...request, method: "PUT" })).toBe("SIGNATURE_INVALID");
    expect(codeOf({ ...request, path: "/v1/entries/" })).toBe("SIGNATURE_INVALID");
    expect(codeOf({ ...request, body: utf8('{"records":[]}') })).toBe("DIGEST_MISMATCH");
    const newBody = utf8('{"records":[]}');
    const digest = `sha-256=:${Buffer.from(await crypto.subtle.digest("SHA-256", newBody)).toString("base64")}:`;
    expect(codeOf(withHeaders({ ...request, body: newBody }, { "content-digest": digest }))).toBe(
      "SIGNATURE_INVALID",
    );
    expect(codeOf(withHeaders(request, { "zhixin-department": "housing-fund-centre" }))).toBe(
      "KEY_NOT_OWNED",
    );
    expect(codeOf(withHeaders(request, { "zhixin-batch-root": `:${toBase64(new Uint8Array(32))}:` }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("adding a query to a request signed without one is refused", async () => {
    const request = await submit(ed);
    expect(codeOf({ ...request, query: "x=1" })).toBe("SIGNATURE_COMPONENTS_MISSING");
  });
});

describe("refusals, one code each", () => {
  it("SIGNATURE_MISSING: no Signature or no Signature-Input", async () => {
    const request = await submit(ed);
    expect(codeOf(withHeaders(request, { signature: undefined, "signature-input": undefined }))).toBe(
      "SIGNATURE_MISSING",
    );
    expect(codeOf(withHeaders(request, { signature: undefined }))).toBe("SIGNATURE_MISSING");
    expect(codeOf(withHeaders(request, { "signature-input": undefined }))).toBe("SIGNATURE_MISSING");
    expect(codeOf(withHeaders(request, { signature: "  " }))).toBe("SIGNATURE_MISSING");
  });

  describe("SIGNATURE_MALFORMED", () => {
    let request: IncomingRequest & { headers: Record<string, string> };
    let sigValue: string;
    beforeAll(async () => {
      request = await submit(ed);
      sigValue = (request.headers.signature ?? "").slice("sig1=".length);
    });
    const inputOf = (): string => (request.headers["signature-input"] ?? "").slice("sig1=".length);

    it.each<[string, () => Record<string, string>]>([
      ["Signature-Input is not a dictionary", () => ({ "signature-input": `sig1=${inputOf()}"` })],
      ["Signature is not a dictionary", () => ({ signature: "sig1=:abc" })],
      [
        "two signatures",
        () => ({
          "signature-input": `sig1=${inputOf()}, sig2=${inputOf()}`,
          signature: `sig1=${sigValue}, sig2=${sigValue}`,
        }),
      ],
      ["two Signature members for one input", () => ({ signature: `sig1=${sigValue}, sig2=${sigValue}` })],
      ["labels differ", () => ({ signature: `sig2=${sigValue}` })],
      ["signature not base64", () => ({ signature: "sig1=:not-base64!:" })],
      ["signature base64 without padding", () => ({ signature: `sig1=${sigValue.replace(/=+:$/, ":")}` })],
      ["signature a string", () => ({ signature: `sig1="${sigValue}"` })],
      ["signature with parameters", () => ({ signature: `sig1=${sigValue};x=1` })],
      ["Signature-Input member not an inner list", () => ({ "signature-input": "sig1=:AAAA:" })],
      [
        "a component with parameters",
        () => ({ "signature-input": `sig1=${inputOf().replace('"content-digest"', '"content-digest";sf')}` }),
      ],
      ["an unknown signature parameter", () => ({ "signature-input": `sig1=${inputOf()};foo="x"` })],
      [
        "a component identifier in upper case",
        () => ({ "signature-input": `sig1=${inputOf().replace('"@path"', '"@Path"')}` }),
      ],
    ])("%s", (_, change) => {
      expect(codeOf(withHeaders(request, change()))).toBe("SIGNATURE_MALFORMED");
    });

    it.each(["created", "keyid", "alg", "nonce"])("no %s", async (name) => {
      const crafted = await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { [name]: undefined }));
      expect(codeOf(crafted)).toBe("SIGNATURE_MALFORMED");
    });

    it.each([
      ["too short (15)", "abcdefghijklmno"],
      ["too long (129)", "a".repeat(129)],
      ["a character outside base64url", "abcdefghijklmnop+"],
      ["padding", "abcdefghijklmnop=="],
    ])("nonce %s", async (_, nonce) => {
      const crafted = await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { nonce }));
      expect(codeOf(crafted)).toBe("SIGNATURE_MALFORMED");
    });

    it("created as a string, and expires before created", async () => {
      expect(codeOf(await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { created: `${CREATED}` })))).toBe(
        "SIGNATURE_MALFORMED",
      );
      expect(
        codeOf(await craft(ed, request, SUBMIT_COMPONENTS, `${params(ed)};expires=${CREATED - 1}`)),
      ).toBe("SIGNATURE_MALFORMED");
    });

    it("a derived component Zhixin does not use (@authority)", async () => {
      const crafted = await craft(ed, request, [...SUBMIT_COMPONENTS, "@authority"], params(ed));
      expect(codeOf(crafted)).toBe("SIGNATURE_MALFORMED");
    });
  });

  describe("SIGNATURE_COMPONENTS_MISSING", () => {
    it.each(SUBMIT_COMPONENTS)("%s not covered", async (left) => {
      const request = await submit(ed);
      const crafted = await craft(
        ed,
        request,
        SUBMIT_COMPONENTS.filter((id) => id !== left),
        params(ed),
      );
      expect(codeOf(crafted)).toBe("SIGNATURE_COMPONENTS_MISSING");
    });

    it("@query not covered although the request has a query", async () => {
      const request = { ...(await submit(ed)), query: "a=1" };
      expect(codeOf(await craft(ed, request, SUBMIT_COMPONENTS, params(ed)))).toBe(
        "SIGNATURE_COMPONENTS_MISSING",
      );
      expect(codeOf(await craft(ed, request, [...SUBMIT_COMPONENTS, "@query"], params(ed)))).toBe("accepted");
    });

    it("zhixin-batch-root is optional when not required", async () => {
      const request = await submit(ed);
      const crafted = await craft(ed, request, SUBMIT_COMPONENTS.slice(0, 4), params(ed));
      expect(codeOf(crafted, options({ requireBatchRoot: false }))).toBe("accepted");
    });

    it("a covered header is absent", async () => {
      const request = await submit(ed);
      const crafted = await craft(ed, request, [...SUBMIT_COMPONENTS, "content-type"], params(ed));
      expect(codeOf(crafted)).toBe("accepted");
      expect(codeOf(withHeaders(crafted, { "content-type": undefined }))).toBe(
        "SIGNATURE_COMPONENTS_MISSING",
      );
      expect(codeOf(withHeaders(crafted, { "zhixin-department": undefined }))).toBe(
        "SIGNATURE_COMPONENTS_MISSING",
      );
    });
  });

  it("UNKNOWN_KEY: keyid not in the directory", async () => {
    const request = await submit(ed);
    expect(codeOf(await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { keyid: "nobody" })))).toBe(
      "UNKNOWN_KEY",
    );
  });

  it("KEY_NOT_OWNED: the key belongs to another department", async () => {
    const request = await submit(ed, { department: "housing-fund-centre" });
    expect(codeOf(request)).toBe("KEY_NOT_OWNED");
  });

  it("ALG_MISMATCH: alg is not the key's algorithm", async () => {
    const request = await submit(ed);
    expect(
      codeOf(await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { alg: "ecdsa-p256-sha256" }))),
    ).toBe("ALG_MISMATCH");
    expect(codeOf(await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { alg: "hmac-sha256" })))).toBe(
      "ALG_MISMATCH",
    );
  });

  it("CLOCK_SKEW: created more than maxSkewSeconds away, or expired", async () => {
    expect(codeOf(await submit(ed, { created: CREATED - 300 }))).toBe("accepted");
    expect(codeOf(await submit(ed, { created: CREATED + 300 }))).toBe("accepted");
    expect(codeOf(await submit(ed, { created: CREATED - 301 }))).toBe("CLOCK_SKEW");
    expect(codeOf(await submit(ed, { created: CREATED + 301 }))).toBe("CLOCK_SKEW");
    expect(codeOf(await submit(ed, { created: CREATED - 20 }), options({ maxSkewSeconds: 10 }))).toBe(
      "CLOCK_SKEW",
    );
    const request = await submit(ed);
    const expired = await craft(
      ed,
      request,
      SUBMIT_COMPONENTS,
      `${params(ed, { created: CREATED - 10 })};expires=${CREATED - 1}`,
    );
    expect(codeOf(expired)).toBe("CLOCK_SKEW");
  });

  it("KEY_NOT_VALID: now outside [validFrom, validUntil)", async () => {
    expect(codeOf(await submit(revoked))).toBe("KEY_NOT_VALID");
    const before = new Date("2024-12-31T23:59:00.000Z");
    const early = await submit(ed, { created: before.getTime() / 1000 });
    expect(codeOf(early, options({ now: before }))).toBe("KEY_NOT_VALID");
    const lastMoment = new Date("2026-01-31T23:59:59.999Z");
    const justValid = await submit(revoked, { created: Math.floor(lastMoment.getTime() / 1000) });
    expect(codeOf(justValid, options({ now: lastMoment }))).toBe("accepted");
    expect(codeOf(justValid, options({ now: new Date("2026-02-01T00:00:00.000Z") }))).toBe("KEY_NOT_VALID");
  });

  it("DIGEST_MISSING: Content-Digest covered but absent, or without sha-256", async () => {
    const request = await submit(ed);
    expect(codeOf(withHeaders(request, { "content-digest": undefined }))).toBe("DIGEST_MISSING");
    const sha512Only = withHeaders(request, {
      "content-digest": `sha-512=:${toBase64(new Uint8Array(64))}:`,
    });
    expect(codeOf(await craft(ed, sha512Only, SUBMIT_COMPONENTS, params(ed)))).toBe("DIGEST_MISSING");
  });

  it("DIGEST_MISMATCH: Content-Digest malformed or not the body's", async () => {
    const request = await submit(ed);
    for (const digest of [
      `sha-256=:${toBase64(new Uint8Array(32))}:`,
      `sha-256=:${toBase64(new Uint8Array(31))}:`,
      "sha-256=abc",
    ]) {
      const crafted = await craft(
        ed,
        withHeaders(request, { "content-digest": digest }),
        SUBMIT_COMPONENTS,
        params(ed),
      );
      expect(codeOf(crafted)).toBe("DIGEST_MISMATCH");
    }
  });

  it("BATCH_ROOT_MISSING: zhixin-batch-root absent or not a bare 32-byte byte sequence", async () => {
    const request = await submit(ed);
    expect(codeOf(withHeaders(request, { "zhixin-batch-root": undefined }))).toBe("BATCH_ROOT_MISSING");
    for (const value of [
      `:${toBase64(new Uint8Array(31))}:`,
      `:${toBase64(new Uint8Array(33))}:`,
      toHex(ROOT),
      `:${toBase64(ROOT)}:;v=1`,
      `:${toBase64(ROOT)}:, :${toBase64(ROOT)}:`,
    ]) {
      const crafted = await craft(
        ed,
        withHeaders(request, { "zhixin-batch-root": value }),
        SUBMIT_COMPONENTS,
        params(ed),
      );
      expect(codeOf(crafted)).toBe("BATCH_ROOT_MISSING");
    }
  });

  it("SIGNATURE_INVALID: signature by another key, wrong length, or over other values", async () => {
    const request = await submit(ed);
    const intruder = await makeKey(ed.record.keyId, "ed25519", "civil-affairs");
    expect(codeOf(await submit(intruder))).toBe("SIGNATURE_INVALID");
    expect(codeOf(withHeaders(request, { signature: `sig1=:${toBase64(new Uint8Array(63))}:` }))).toBe(
      "SIGNATURE_INVALID",
    );
    expect(codeOf(withHeaders(request, { signature: `sig1=:${toBase64(new Uint8Array(64))}:` }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("INTERNAL: a directory entry whose SPKI does not fit its alg", async () => {
    expect(codeOf(await submit(broken))).toBe("INTERNAL");
  });

  it("the first failing check decides", async () => {
    const request = await submit(ed, { created: CREATED - 1000 });
    // unknown key and skewed: UNKNOWN_KEY
    expect(
      codeOf(
        await craft(ed, request, SUBMIT_COMPONENTS, params(ed, { keyid: "nobody", created: CREATED - 1000 })),
      ),
    ).toBe("UNKNOWN_KEY");
    // skewed, revoked, wrong digest: CLOCK_SKEW
    const skewed = await submit(revoked, { created: CREATED - 1000 });
    expect(codeOf(withHeaders(skewed, { "content-digest": "sha-256=:AAAA:" }))).toBe("CLOCK_SKEW");
    // revoked and wrong digest: KEY_NOT_VALID
    expect(codeOf(withHeaders(await submit(revoked), { "content-digest": "sha-256=:AAAA:" }))).toBe(
      "KEY_NOT_VALID",
    );
    // components missing and unknown key: SIGNATURE_COMPONENTS_MISSING
    expect(codeOf(await craft(ed, request, ["@method"], params(ed, { keyid: "nobody" })))).toBe(
      "SIGNATURE_COMPONENTS_MISSING",
    );
    // wrong digest and bad batch root: DIGEST_MISMATCH
    const both = withHeaders(await submit(ed), {
      "content-digest": `sha-256=:${toBase64(new Uint8Array(32))}:`,
      "zhixin-batch-root": "x",
    });
    expect(codeOf(both)).toBe("DIGEST_MISMATCH");
  });
});

describe("signRequest argument checks", () => {
  it.each<[string, Partial<SignRequestInput>]>([
    ["a short nonce", { nonce: "short" }],
    ["a fractional created", { created: 1.5 }],
    ["a path with a query", { path: "/v1/entries?x=1" }],
    ["a relative path", { path: "v1/entries" }],
    ["a query with its ?", { query: "?x=1" }],
    ["a padded department", { department: " civil-affairs" }],
    ["a 31-byte batch root", { batchRoot: new Uint8Array(31) }],
    ["a label that is not an RFC 8941 key", { label: "Sig1" }],
    ["headers that already carry a signature", { headers: { Signature: "sig0=:AAAA:" } }],
    ["headers that already carry a content-digest", { headers: { "content-digest": "sha-256=:AAAA:" } }],
  ])("refuses %s", async (_, extra) => {
    await expect(submit(ed, extra)).rejects.toThrow(TypeError);
  });
});
