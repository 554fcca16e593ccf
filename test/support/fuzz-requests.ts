import fc from "fast-check";
import { type CryptoSuite, batchRootOf as chainBatchRoot, INTL, type JsonValue } from "#chain";
import { API_ROUTES } from "../../lib/protocol/routes.js";

/**
 * Hostile requests for the fuzz test (test/integration/api/fuzz.test.ts) and the longer
 * fuzz bench (bench/fuzz.ts): fast-check arbitraries over every route of routes.ts —
 * methods, raw paths, query strings, signature headers and signed bodies. ./fuzz-client.ts
 * sends them.
 */

/** Members with keys on a local node (consortium.example.json), and one without. */
export const KEYED_MEMBERS = [
  "hf-haikou",
  "hf-sanya",
  "market-regulation",
  "civil-affairs",
  "service-centre",
  "internet-court",
  "auditor",
  "sealer",
] as const;
export type Member = (typeof KEYED_MEMBERS)[number];
const CLAIMED = [...KEYED_MEMBERS, "nobody", ""];

/** What exists on the node, so that some requests get past parsing and authentication. */
export interface FuzzContext {
  entryIds: string[];
  contractIds: string[];
  subjects: string[];
}

export interface FuzzRequest {
  method: string;
  /** Sent as is: "/v1/blocks/%FF". */
  path: string;
  /** Sent as is after "?" when not empty. */
  query: string;
  body?: Uint8Array;
  /** Absent: unsigned. `as` is the zhixin-department claimed, `keyOf` whose key signs. */
  sign?: { as: string; keyOf: Member; batchRoot?: Uint8Array; createdOffset: number };
  /** Header fields set after signing: a mutated signature header, a junk header. */
  headers: Record<string, string>;
}

const RECORD_TYPES = [
  "housing-fund.deposit-certificate",
  "housing-fund.blacklist",
  "licence.business",
  "invoice.claim",
  "fund.transfer",
  "zhixin.contract.propose",
  "zhixin.contract.approve",
  "zhixin.cosign",
  "no.such-type",
];

/** "%" sequences that are not percent-encoded UTF-8, and dot segments. */
const MALFORMED = [
  "%",
  "%Z",
  "%ZZ",
  "%E0%A4%A",
  "%C0%AF",
  "%ED%A0%80",
  "%F4%90%80%80",
  "%FF",
  "%00",
  "%2F",
  "..",
];
const NUMBERS = ["0", "-1", "01", "1e3", "0x10", "9007199254740991", "9007199254740992", "9999999999999999"];

/**
 * Request-target characters: mostly RFC 3986's (pchar, "/", "?"), sometimes any that
 * node:http sends (0x21–0xFF), which Node's server mostly refuses with its own 400
 * before any of our code runs. API Gateway's rawPath can carry any string: the unit
 * fuzz of http-parse.test.ts covers those.
 */
const RFC3986 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/?";
const targetChar = fc.oneof(
  { weight: 19, arbitrary: fc.constantFrom(...RFC3986) },
  { weight: 1, arbitrary: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)) },
);
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
);
const percentBytes = fc
  .uint8Array({ minLength: 1, maxLength: 8 })
  .map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0").toUpperCase()}`).join(""));
const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });

function segment(ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ctx.entryIds, ...ctx.contractIds, "latest", "1", "2") },
    fc.constantFrom(...NUMBERS),
    fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
    hex(32),
    fc.constantFrom(...MALFORMED),
    percentBytes,
    fc.string({ unit: targetChar, maxLength: 24 }),
  );
}

function path(ctx: FuzzContext, template: string): fc.Arbitrary<string> {
  const filled = segment(ctx).map((s) => template.replace(/\{[^}]+\}/, s));
  return fc.oneof(
    { weight: 8, arbitrary: filled },
    {
      weight: 1,
      arbitrary: fc.tuple(filled, fc.constantFrom("/", "//", "/..", "/.", "%20")).map(([p, s]) => p + s),
    },
    { weight: 1, arbitrary: fc.array(segment(ctx), { maxLength: 4 }).map((s) => `/${s.join("/")}`) },
  );
}

function query(ctx: FuzzContext, route: string): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom(...ctx.subjects).map((s) => encodeURIComponent(s)),
    fc.constantFrom("", "+", "a+b", ...MALFORMED),
    percentBytes,
    fc.string({ unit: targetChar, maxLength: 300 }),
  );
  const name = fc.oneof(fc.constantFrom("subject", "Subject", "subject[]", "", "%73ubject"), percentBytes);
  return fc.oneof(
    { weight: route === "GET /v1/access" ? 1 : 40, arbitrary: fc.constant("") },
    { weight: 3, arbitrary: value.map((v) => `subject=${v}`) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(name, fc.option(value, { nil: undefined })), { minLength: 1, maxLength: 4 })
        .map((pairs) => pairs.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join("&")),
    },
    { weight: 1, arbitrary: fc.string({ unit: targetChar, maxLength: 40 }) },
  );
}

const citizen = fc.stringMatching(/^[0-9]{17}[0-9X]$/);
const dataOf = fc.oneof(
  fc.record({
    citizen,
    months: fc.integer({ min: -1, max: 400 }),
    status: fc.constantFrom("active", "closed"),
  }),
  fc.record({ citizen, action: fc.constantFrom("add", "lift"), reason: fc.string({ maxLength: 20 }) }),
  fc.object({ maxDepth: 2 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** JSON text, then (sometimes) damaged: truncated, a byte flipped, a duplicate or special key. */
function damaged(text: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(text) },
    { weight: 1, arbitrary: fc.nat(text.length).map((n) => text.slice(0, n)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(Math.max(0, text.length - 1)), fc.integer({ min: 0, max: 0x7f }))
        .map(([i, c]) => text.slice(0, i) + String.fromCharCode(c) + text.slice(i + 1)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '"__proto__":{"x":1},',
          '"constructor":1,',
          '"records":[],',
          '"data":{},',
          '"prototype":null,',
        )
        .map((k) => text.replace("{", `{${k}`)),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  );
}

interface Body {
  text?: string;
  bytes?: Uint8Array;
  batchRoot?: Uint8Array;
}

/** Records a housing-fund department may write, and records of any type with any data. */
const record = fc.oneof(
  fc.record({
    type: fc.constant("housing-fund.deposit-certificate"),
    data: fc.record({ citizen, months: fc.nat(400), status: fc.constantFrom("active", "closed") }),
  }),
  fc.record({
    type: fc.constant("housing-fund.blacklist"),
    data: fc.record({
      citizen,
      action: fc.constantFrom("add", "lift"),
      reason: fc.string({ minLength: 1, maxLength: 20 }),
    }),
  }),
  fc.record({ type: fc.constantFrom(...RECORD_TYPES), data: dataOf }),
);

function entriesBody(): fc.Arbitrary<Body> {
  const records = fc.array(record, { maxLength: 3 });
  return records.chain((rs) => {
    const text = JSON.stringify({ records: rs });
    return fc.record({
      text: damaged(text),
      batchRoot: fc.oneof(
        { weight: 5, arbitrary: fc.constant(batchRootOf(INTL, rs)) },
        { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
      ),
    });
  });
}

function matchBody(ctx: FuzzContext): fc.Arbitrary<Body> {
  const predicate = fc.record({
    field: fc.constantFrom("action", "citizen", "reason", "months", "", "__proto__"),
    op: fc.constantFrom("=", "!=", ">=", "<", "~"),
    value: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  });
  const question = fc.record(
    {
      contract: fc.oneof(fc.constantFrom(...ctx.contractIds), fc.string({ maxLength: 70 })),
      subject: fc.oneof(fc.constantFrom(...ctx.subjects), fc.string({ maxLength: 300 })),
      where: fc.array(predicate, { maxLength: 3 }),
      want: fc.constantFrom("match", "fields", 1),
    },
    { requiredKeys: ["contract", "subject"] },
  );
  return question.chain((q) => fc.record({ text: damaged(JSON.stringify(q)) }));
}

function body(ctx: FuzzContext, route: string): fc.Arbitrary<Body> {
  const junk = fc.oneof(
    fc.record({ bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ text: fc.json({ maxDepth: 2 }) }),
  );
  if (route === "POST /v1/entries") return fc.oneof({ weight: 4, arbitrary: entriesBody() }, junk);
  if (route === "POST /v1/match") return fc.oneof({ weight: 4, arbitrary: matchBody(ctx) }, junk);
  return fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, junk);
}

const SIGNATURE_HEADERS = [
  "signature",
  "signature-input",
  "content-digest",
  "zhixin-department",
  "zhixin-batch-root",
];
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 120 }),
  fc.constantFrom(
    'sig1=("@method" "@path" "zhixin-department");created=99999999999999999999;keyid="hf-haikou/key-1";alg="ed25519";nonce="aaaaaaaaaaaaaaaa"',
    'sig1=("@method" "@path" "zhixin-department");created=-9007199254740993;keyid="auditor/key-1";alg="ed25519";nonce="aaaaaaaaaaaaaaaa"',
    'sig1=("@method" "@path" "zhixin-department");created=1;expires=1e999;keyid="x";alg="none";nonce="a"',
    "sig1=:AAAA:, sig2=:AAAA:",
    "sha-256=:AAAA:, sha-512=:AAAA:",
    ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
  ),
);

/** One request to a route of routes.ts, mostly with that route's method, sometimes not. */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const route = fc.constantFrom(...API_ROUTES);
  return route.chain((r) => {
    const method = fc.oneof(
      { weight: 16, arbitrary: fc.constant(r.method as string) },
      { weight: 3, arbitrary: fc.constantFrom("GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS") },
      // Mostly refused by Node's own parser, which knows only the registered methods.
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/).filter((m) => m !== "CONNECT") },
    );
    const sign = fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      {
        weight: 8,
        // The housing-fund departments most: they write the records and sign the contract here.
        arbitrary: fc
          .oneof(fc.constantFrom<Member>("hf-haikou", "hf-sanya"), fc.constantFrom(...KEYED_MEMBERS))
          .map((m) => ({ as: m as string, keyOf: m, createdOffset: 0 })),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          as: fc.constantFrom(...CLAIMED),
          keyOf: fc.constantFrom(...KEYED_MEMBERS),
          createdOffset: fc.oneof(
            fc.constantFrom(-301, 301),
            fc.integer({ min: -1_700_000_000, max: 2 ** 31 }),
          ),
        }),
      },
    );
    const headers = fc.oneof(
      { weight: 6, arbitrary: fc.constant({}) },
      {
        weight: 2,
        arbitrary: fc.dictionary(
          fc.constantFrom(...SIGNATURE_HEADERS, "content-type", "x-junk"),
          headerValue,
          {
            maxKeys: 2,
          },
        ),
      },
    );
    return fc
      .record({
        method,
        path: path(ctx, r.path),
        query: query(ctx, `${r.method} ${r.path}`),
        body: body(ctx, `${r.method} ${r.path}`),
        sign,
        headers,
      })
      .map(({ body: b, sign: s, ...rest }) => {
        const bytes = b.bytes ?? (b.text === undefined ? undefined : new TextEncoder().encode(b.text));
        return {
          ...rest,
          ...(bytes ? { body: bytes } : {}),
          ...(s ? { sign: { ...s, ...(b.batchRoot ? { batchRoot: b.batchRoot } : {}) } } : {}),
        };
      });
  });
}

/** The RFC 6962 root over records' hashes, or 32 zero bytes when a record's data is not canonical JSON. */
export function batchRootOf(suite: CryptoSuite, records: Array<{ type: string; data: unknown }>): Uint8Array {
  try {
    return chainBatchRoot(suite, records as Array<{ type: string; data: JsonValue }>);
  } catch {
    return new Uint8Array(32);
  }
}
