import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { deriveKeyId, INTL } from "#chain";
import { kmsIdentity } from "../../../cli/kms-identity.js";
import { main } from "../../../cli/zhixin.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import type { KeyDirectory } from "../../../lib/crypto/key-directory.js";
import { verifyRequest } from "../../../lib/http-signature/index.js";
import { ensureLocalKeys } from "../../../local/keys.js";
import {
  fakeKms,
  fakeLambda,
  type KmsReply,
  kmsError,
  type LambdaCall,
  type LambdaReply,
  TEST_CREDENTIALS,
  TestKmsKey,
} from "../../support/fake-aws.js";

// `zhixin` against a deployed stack, run in-process (main(argv, env, deps)): SigV4 is
// checked on the requests a loopback HTTP server receives; KMS and Lambda at their SDK
// client boundary (test/support/fake-aws.ts), with signatures node:crypto makes in
// KMS's encodings and checked by the server's own verifyRequest.
//
// Past 400 lines: SigV4, KMS signing and the verify function share the loopback server
// and the fake AWS clients set up here.

const CONSORTIUM = "consortium.example.json";
const CERT_TYPE = "housing-fund.deposit-certificate";
const HAIKOU_ALIAS = "alias/zhixin/demo/hf-haikou";

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let url: string;
let received: Captured[] = [];
let reply: (c: Captured) => { status: number; body: unknown } = () => ({ status: 500, body: {} });
let home: string;
let work: string;
let localKeys: KeyDirectory;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-aws-home-"));
  work = await mkdtemp(join(tmpdir(), "zhixin-aws-work-"));
  localKeys = (await ensureLocalKeys(home, loadConsortium(CONSORTIUM), new Date(Date.now() - 60_000)))
    .directory;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const captured = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(captured);
      const { status, body } = reply(captured);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  received = [];
});

const RECEIPT = {
  entries: [{ id: "a".repeat(32), leafHash: "b".repeat(64) }],
  receivedAt: "2026-11-21T08:00:00.000Z",
};

/** Runs the CLI in this process; stdout and stderr captured. */
async function zhixin(
  args: string[],
  env: Record<string, string> = {},
  deps: Parameters<typeof main>[2] = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const into = (lines: string[]) => (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const o = vi.spyOn(process.stdout, "write").mockImplementation(into(out));
  const e = vi.spyOn(process.stderr, "write").mockImplementation(into(err));
  try {
    const code = await main(
      args,
      { ZHIXIN_URL: url, ZHIXIN_HOME: home, ZHIXIN_CONSORTIUM: CONSORTIUM, ...env },
      deps,
    );
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

async function certFile(): Promise<string> {
  const path = join(work, "cert.json");
  await writeFile(path, JSON.stringify({ citizen: "460100199001011234", months: 36, status: "active" }));
  return path;
}

/** The captured request as the server-side verifier reads it. */
function incoming(c: Captured) {
  const [path = "", query] = c.url.split("?");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (typeof v === "string") headers[k] = v;
  return { method: c.method, path, query, headers, body: new Uint8Array(c.body) };
}

describe("SigV4 for an IAM-authorised API", () => {
  it("signs every request for execute-api in the region, after and over the RFC 9421 headers", async () => {
    reply = () => ({ status: 202, body: RECEIPT });
    const run = await zhixin(
      [
        "submit",
        "--as",
        "hf-haikou",
        "--type",
        CERT_TYPE,
        "--file",
        await certFile(),
        "--sigv4",
        "--region",
        "cn-north-1",
      ],
      {},
      { credentials: async () => TEST_CREDENTIALS },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(RECEIPT);

    const [request] = received;
    if (!request) throw new Error("nothing received");
    const authorization = String(request.headers.authorization);
    const m =
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/cn-north-1\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    expect(m, authorization).not.toBeNull();
    const signedHeaders = (m?.[2] ?? "").split(";");
    for (const h of [
      "host",
      "x-amz-date",
      "x-amz-content-sha256",
      "content-digest",
      "signature",
      "signature-input",
      "zhixin-department",
      "zhixin-batch-root",
    ]) {
      expect(signedHeaders).toContain(h);
    }
    expect(request.headers["x-amz-content-sha256"]).toBe(
      createHash("sha256").update(request.body).digest("hex"),
    );

    // Re-signing what arrived, with the same credentials and time, gives the same signature.
    const xAmzDate = String(request.headers["x-amz-date"]);
    const signingDate = new Date(
      `${xAmzDate.slice(0, 4)}-${xAmzDate.slice(4, 6)}-${xAmzDate.slice(6, 11)}:${xAmzDate.slice(11, 13)}:${xAmzDate.slice(13, 15)}Z`,
    );
    const headers: Record<string, string> = {};
    for (const h of signedHeaders) headers[h] = String(request.headers[h]);
    const resigned = await new SignatureV4({
      service: "execute-api",
      region: "cn-north-1",
      credentials: TEST_CREDENTIALS,
      sha256: Hash.bind(null, "sha256"),
    }).sign(
      new HttpRequest({
        method: request.method,
        protocol: "http:",
        hostname: "127.0.0.1",
        path: request.url,
        headers,
        body: request.body,
      }),
      { signingDate },
    );
    expect(resigned.headers.authorization).toBe(authorization);

    // And the department's RFC 9421 signature is intact beside it.
    expect(
      verifyRequest(incoming(request), {
        keys: localKeys,
        now: new Date(),
        requireBatchRoot: true,
        suite: INTL,
      }),
    ).toMatchObject({
      department: "hf-haikou",
      keyId: localKeys.listKeys().find((k) => k.owner === "hf-haikou")?.keyId,
    });
  });

  it("signs reads too, and is switched on by ZHIXIN_SIGV4=1", async () => {
    reply = () => ({ status: 200, body: { height: 1 } });
    const run = await zhixin(
      ["block", "1"],
      { ZHIXIN_SIGV4: "1", AWS_REGION: "cn-northwest-1" },
      {
        credentials: async () => ({ ...TEST_CREDENTIALS, sessionToken: "session-token" }),
      },
    );
    expect(run.code).toBe(0);
    const [request] = received;
    expect(String(request?.headers.authorization)).toMatch(
      /\/cn-northwest-1\/execute-api\/aws4_request, SignedHeaders=[^,]*x-amz-security-token/,
    );
    expect(request?.headers["x-amz-security-token"]).toBe("session-token");
  });

  it("an execute-api URL means AWS: `zhixin seal` and a local verify are refused with what to do instead", async () => {
    const aws = { ZHIXIN_URL: "https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn" };
    const seal = await zhixin(["seal"], aws);
    expect(seal.code).toBe(2);
    expect(seal.stderr).toContain("seals on its schedule");
    const verify = await zhixin(["verify"], aws);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain("--function");
  });

  it("without a region it cannot sign, and says to pass --region", async () => {
    const run = await zhixin(["checkpoint", "--sigv4"], {}, { credentials: async () => TEST_CREDENTIALS });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--region");
    expect(received).toEqual([]);
  });

  it("without credentials says so, and how to provide them", async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env))
      if (k.startsWith("AWS_") && k !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED")
        delete process.env[k];
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(work, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(work, "no-credentials"),
    });
    try {
      const run = await zhixin(["checkpoint", "--sigv4", "--region", "cn-north-1"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("no AWS credentials found");
      expect(run.stderr).toContain("AWS_PROFILE");
      const kms = await zhixin([
        "checkpoint",
        "--kms-key",
        HAIKOU_ALIAS,
        "--alg",
        "ed25519",
        "--region",
        "cn-north-1",
      ]);
      expect(kms.code).toBe(2);
      expect(kms.stderr).toContain("no AWS credentials found");
      expect(received).toEqual([]);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it("a 403 from API Gateway is a refusal (exit 1) with a hint", async () => {
    reply = () => ({ status: 403, body: { message: "Forbidden" } });
    const run = await zhixin(
      ["checkpoint", "--sigv4", "--region", "cn-north-1"],
      {},
      { credentials: async () => TEST_CREDENTIALS },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Forbidden");
    expect(run.stderr).toContain("execute-api:Invoke");
  });
});

describe("--kms-key: signing with a department's KMS key", () => {
  const ed = new TestKmsKey(
    "ed25519",
    "arn:aws-cn:kms:cn-north-1:111111111111:key/11111111-1111-1111-1111-111111111111",
  );
  const p256 = new TestKmsKey(
    "ecdsa-p256-sha256",
    "arn:aws-cn:kms:cn-north-1:333333333333:key/33333333-3333-3333-3333-333333333333",
  );
  // The deployed trust bundle names each key by the id derived from it (docs/design/key-history.md §1).
  const HAIKOU_KEY_ID = deriveKeyId(INTL, "hf-haikou", ed.spki);
  const directory = new StaticKeyDirectory([
    {
      keyId: HAIKOU_KEY_ID,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519",
      spki: ed.spki,
      validFrom: "2026-01-01T00:00:00.000Z",
    },
    {
      keyId: deriveKeyId(INTL, "market-regulation", p256.spki),
      owner: "market-regulation",
      role: "department",
      alg: "ecdsa-p256-sha256",
      spki: p256.spki,
      validFrom: "2026-01-01T00:00:00.000Z",
    },
    {
      keyId: deriveKeyId(INTL, "auditor", ed.spki),
      owner: "auditor",
      role: "auditor",
      alg: "ed25519",
      spki: ed.spki,
      validFrom: "2026-01-01T00:00:00.000Z",
    },
  ]);

  it("with an alias: the member from the alias, key id and algorithm from GetPublicKey, one Sign per request", async () => {
    reply = () => ({ status: 202, body: RECEIPT });
    const kms = fakeKms((op, input) => ed.answer(op, input));
    const regions: Array<string | undefined> = [];
    const run = await zhixin(
      ["submit", "--kms-key", HAIKOU_ALIAS, "--type", CERT_TYPE, "--file", await certFile()],
      { AWS_REGION: "cn-north-1" },
      {
        kmsClient: (region) => {
          regions.push(region);
          return kms.client;
        },
      },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(regions).toEqual(["cn-north-1"]);
    expect(kms.calls.map((c) => c.operation)).toEqual(["GetPublicKey", "Sign"]);
    expect(kms.calls[0]?.input).toEqual({ KeyId: HAIKOU_ALIAS });
    expect(kms.calls[1]?.input).toMatchObject({
      KeyId: HAIKOU_ALIAS,
      MessageType: "RAW",
      SigningAlgorithm: "ED25519_SHA_512",
    });

    const [request] = received;
    if (!request) throw new Error("nothing received");
    expect(String(request.headers["signature-input"])).toContain(`keyid="${HAIKOU_KEY_ID}"`);
    expect(
      verifyRequest(incoming(request), {
        keys: directory,
        now: new Date(),
        requireBatchRoot: true,
        suite: INTL,
      }),
    ).toMatchObject({
      department: "hf-haikou",
      keyId: HAIKOU_KEY_ID,
      alg: "ed25519",
      role: "department",
    });
  });

  it("with a key ARN of no member: --as says whose it is, --alg what it must be; still one GetPublicKey for the key id; ECDSA DER becomes r||s", async () => {
    reply = () => ({ status: 202, body: RECEIPT });
    const kms = fakeKms((op, input) => p256.answer(op, input));
    const regions: Array<string | undefined> = [];
    const run = await zhixin(
      [
        "submit",
        "--kms-key",
        p256.arn,
        "--as",
        "market-regulation",
        "--alg",
        "ecdsa-p256-sha256",
        "--type",
        "market.business-licence",
        "--file",
        await certFile(),
      ],
      {},
      {
        kmsClient: (region) => {
          regions.push(region);
          return kms.client;
        },
      },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(regions).toEqual(["cn-north-1"]); // from the ARN
    expect(kms.calls.map((c) => c.operation)).toEqual(["GetPublicKey", "Sign"]);
    expect(kms.calls[0]?.input).toEqual({ KeyId: p256.arn });
    expect(kms.calls[1]?.input).toMatchObject({ KeyId: p256.arn, SigningAlgorithm: "ECDSA_SHA_256" });
    const [request] = received;
    if (!request) throw new Error("nothing received");
    expect(
      verifyRequest(incoming(request), {
        keys: directory,
        now: new Date(),
        requireBatchRoot: true,
        suite: INTL,
      }),
    ).toMatchObject({
      department: "market-regulation",
      keyId: deriveKeyId(INTL, "market-regulation", p256.spki),
      alg: "ecdsa-p256-sha256",
    });
  });

  it("with a bare key id and --as; --key-id overrides the derived id", async () => {
    reply = () => ({ status: 200, body: { height: 1 } });
    const kms = fakeKms((op, input) => ed.answer(op, input));
    const bare = "11111111-1111-1111-1111-111111111111";
    const run = await zhixin(
      [
        "block",
        "1",
        "--kms-key",
        bare,
        "--as",
        "hf-haikou",
        "--key-id",
        "hf-haikou/0123456789abcdef",
        "--region",
        "cn-north-1",
      ],
      {},
      { kmsClient: () => kms.client },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(kms.calls.map((c) => [c.operation, c.input.KeyId])).toEqual([
      ["GetPublicKey", bare],
      ["Sign", bare],
    ]);
    const [request] = received;
    expect(String(request?.headers["signature-input"])).toContain('keyid="hf-haikou/0123456789abcdef"');
  });

  it("a key of another algorithm than --alg, or one Zhixin does not sign with: KEY_UNUSABLE, exit 2, nothing sent", async () => {
    const identity = (client: ReturnType<typeof fakeKms>["client"], alg?: "ecdsa-p256-sha256") =>
      kmsIdentity({ suite: INTL, kmsKey: HAIKOU_ALIAS, alg, client, command: "checkpoint" });
    const rsa = fakeKms((op, input) =>
      op === "GetPublicKey"
        ? { body: { ...ed.answer(op, input).body, KeySpec: "RSA_2048" } }
        : ed.answer(op, input),
    );
    await expect(identity(rsa.client)).rejects.toMatchObject({ code: "KEY_UNUSABLE" });
    const edKms = fakeKms((op, input) => ed.answer(op, input));
    await expect(identity(edKms.client, "ecdsa-p256-sha256")).rejects.toMatchObject({ code: "KEY_UNUSABLE" });
    expect([...rsa.calls, ...edKms.calls].map((c) => c.operation)).toEqual(["GetPublicKey", "GetPublicKey"]);

    const run = await zhixin(
      ["checkpoint", "--kms-key", HAIKOU_ALIAS, "--alg", "ecdsa-p256-sha256", "--region", "cn-north-1"],
      {},
      { kmsClient: () => fakeKms((op, input) => ed.answer(op, input)).client },
    );
    expect(run.code).toBe(2);
    expect(received).toEqual([]);
  });

  it("with KMS and SigV4 together: the KMS-signed request also carries SigV4", async () => {
    reply = () => ({ status: 200, body: { entryId: "a".repeat(32) } });
    const kms = fakeKms((op, input) => ed.answer(op, input));
    const run = await zhixin(
      ["get", "a".repeat(32), "--kms-key", "alias/zhixin/demo/auditor", "--sigv4", "--region", "cn-north-1"],
      {},
      { kmsClient: () => kms.client, credentials: async () => TEST_CREDENTIALS },
    );
    expect(run.code).toBe(0);
    const [request] = received;
    if (!request) throw new Error("nothing received");
    expect(String(request.headers.authorization)).toContain("/cn-north-1/execute-api/aws4_request");
    expect(
      verifyRequest(incoming(request), {
        keys: directory,
        now: new Date(),
        requireBatchRoot: false,
        suite: INTL,
      }),
    ).toMatchObject({
      department: "auditor",
      role: "auditor",
    });
  });

  it("KMS AccessDenied on Sign: 'your role may not sign with <key>', exit 2, nothing sent", async () => {
    const kms = fakeKms(
      (op, input): KmsReply =>
        op === "Sign"
          ? kmsError(
              "AccessDeniedException",
              `User: arn:aws-cn:sts::111111111111:assumed-role/x is not authorized to perform: kms:Sign`,
            )
          : ed.answer(op, input),
    );
    const run = await zhixin(
      [
        "submit",
        "--kms-key",
        HAIKOU_ALIAS,
        "--type",
        CERT_TYPE,
        "--file",
        await certFile(),
        "--region",
        "cn-north-1",
      ],
      {},
      {
        kmsClient: () => kms.client,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`your role may not sign with ${HAIKOU_ALIAS}`);
    expect(received).toEqual([]);
  });

  it("GetPublicKey denied: says so, even with --alg, since the key id is derived from the public key", async () => {
    const kms = fakeKms(
      (op, input): KmsReply =>
        op === "GetPublicKey"
          ? kmsError("AccessDeniedException", "not authorized to perform: kms:GetPublicKey")
          : ed.answer(op, input),
    );
    const run = await zhixin(
      ["checkpoint", "--kms-key", HAIKOU_ALIAS, "--alg", "ed25519", "--region", "cn-north-1"],
      {},
      { kmsClient: () => kms.client },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("may not read the public key");
    expect(kms.calls.map((c) => c.operation)).toEqual(["GetPublicKey"]);
    expect(received).toEqual([]);
  });

  it("a missing key is named", async () => {
    const kms = fakeKms(() => kmsError("NotFoundException", "Alias alias/zhixin/demo/nobody is not found."));
    const run = await zhixin(
      ["checkpoint", "--kms-key", "alias/zhixin/demo/nobody", "--region", "cn-north-1"],
      {},
      { kmsClient: () => kms.client },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no KMS key alias/zhixin/demo/nobody");
  });

  it("usage errors: a bare key id or a key ARN of no member without --as, an --as that is no member id, --alg or --kms-profile without --kms-key, a bad --alg", async () => {
    const bare = await zhixin(["checkpoint", "--kms-key", "11111111-1111-1111-1111-111111111111"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("pass --as <member>");
    const badAs = await zhixin(["checkpoint", "--kms-key", ed.arn, "--as", "Haikou Centre"]);
    expect(badAs.code).toBe(2);
    expect(badAs.stderr).toContain("not a member id");
    const noMember = await zhixin(["checkpoint", "--kms-key", ed.arn]);
    expect(noMember.code).toBe(2);
    expect(noMember.stderr).toContain("pass --as <member>");
    const profileAlone = await zhixin(["checkpoint", "--kms-profile", "haikou"]);
    expect(profileAlone.code).toBe(2);
    expect(profileAlone.stderr).toContain("--kms-profile goes with --kms-key");
    const algAlone = await zhixin(["checkpoint", "--alg", "ed25519"]);
    expect(algAlone.code).toBe(2);
    expect(algAlone.stderr).toContain("--alg goes with --kms-key");
    const badAlg = await zhixin(["checkpoint", "--kms-key", HAIKOU_ALIAS, "--alg", "rsa"]);
    expect(badAlg.code).toBe(2);
    expect(badAlg.stderr).toContain("--alg must be");
  });
});

describe("--kms-key with a member's key in its own account (the file's keyArn)", () => {
  const HAIKOU_ARN = "arn:aws-cn:kms:cn-northwest-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
  const key = new TestKmsKey("ed25519", HAIKOU_ARN);
  const HAIKOU_KEY_ID = deriveKeyId(INTL, "hf-haikou", key.spki);
  const directory = new StaticKeyDirectory([
    {
      keyId: HAIKOU_KEY_ID,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519",
      spki: key.spki,
      validFrom: "2026-01-01T00:00:00.000Z",
    },
  ]);
  const LEDGER_ROLE = { accessKeyId: "AKIDLEDGERROLE", secretAccessKey: "ledger-secret" };

  /** The example consortium with hf-haikou's key in its own account. */
  async function ownKeyConsortium(): Promise<string> {
    const file = JSON.parse(await readFile(CONSORTIUM, "utf8")) as {
      departments: Array<Record<string, unknown>>;
    };
    (file.departments[0] as Record<string, unknown>).keyArn = HAIKOU_ARN;
    const path = join(work, "own-keys.json");
    await writeFile(path, JSON.stringify(file));
    return path;
  }

  it("the ARN alone: the member is the one whose keyArn it is, the key id derived from its key; KMS signs with --kms-profile's credentials, SigV4 with the shared ones", async () => {
    reply = () => ({ status: 202, body: RECEIPT });
    const credentialsFile = join(work, "aws-credentials");
    await writeFile(
      credentialsFile,
      "[haikou-signing]\naws_access_key_id = AKIDHAIKOUACCOUNT\naws_secret_access_key = haikou-secret\n",
    );
    let kms: ReturnType<typeof fakeKms> | undefined;
    const run = await zhixin(
      [
        "submit",
        "--kms-key",
        HAIKOU_ARN,
        "--kms-profile",
        "haikou-signing",
        "--sigv4",
        "--region",
        "cn-northwest-1",
        "--type",
        CERT_TYPE,
        "--file",
        await certFile(),
      ],
      {
        ZHIXIN_CONSORTIUM: await ownKeyConsortium(),
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_CONFIG_FILE: join(work, "no-aws-config"),
      },
      {
        credentials: async () => LEDGER_ROLE,
        kmsClient: (region, credentials) => {
          kms = fakeKms((op, input) => key.answer(op, input), region, credentials);
          return kms.client;
        },
      },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(kms?.calls.map((c) => c.operation)).toEqual(["GetPublicKey", "Sign"]);
    for (const call of kms?.calls ?? []) {
      expect(call.input.KeyId).toBe(HAIKOU_ARN);
      expect(call.authorization).toContain("Credential=AKIDHAIKOUACCOUNT/");
    }
    const [request] = received;
    if (!request) throw new Error("nothing received");
    expect(String(request.headers.authorization)).toContain("Credential=AKIDLEDGERROLE/");
    expect(String(request.headers["signature-input"])).toContain(`keyid="${HAIKOU_KEY_ID}"`);
    expect(
      verifyRequest(incoming(request), {
        keys: directory,
        now: new Date(),
        requireBatchRoot: true,
        suite: INTL,
      }),
    ).toMatchObject({ department: "hf-haikou", keyId: HAIKOU_KEY_ID, role: "department" });
  });

  it("a --kms-profile with no credentials is a usage error naming it, and nothing is sent", async () => {
    const run = await zhixin(
      ["checkpoint", "--kms-key", HAIKOU_ARN, "--kms-profile", "nobody"],
      {
        ZHIXIN_CONSORTIUM: await ownKeyConsortium(),
        AWS_SHARED_CREDENTIALS_FILE: join(work, "no-aws-credentials"),
        AWS_CONFIG_FILE: join(work, "no-aws-config"),
      },
      {
        kmsClient: (region, credentials) =>
          fakeKms((op, input) => key.answer(op, input), region, credentials).client,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--kms-profile nobody");
    expect(received).toEqual([]);
  });
});

describe("verify --function: the deployed verify function", () => {
  const FN_ARN = "arn:aws-cn:lambda:cn-northwest-1:999999999999:function:zhixin-demo-verify";
  const okReport = (to: number) => ({
    ok: true,
    blocksChecked: to,
    entriesChecked: to * 2,
    findings: [],
    from: 1,
    to,
    checkpoint: `zhixin.example/demo\n${to}\nroot\n`,
  });

  /** A fake verify function; each client the CLI asks for is built for the region it asks in. */
  function lambda(answer: (payload: unknown) => LambdaReply) {
    const calls: LambdaCall[] = [];
    const regions: Array<string | undefined> = [];
    const lambdaClient = (region: string | undefined) => {
      regions.push(region);
      return fakeLambda((call) => {
        calls.push(call);
        return answer(call.payload);
      }, region ?? "us-east-1").client;
    };
    return { calls, regions, deps: { lambdaClient } };
  }

  it("invokes it RequestResponse with the local payload, prints the report, keeps the checkpoint for next time", async () => {
    const auditHome = await mkdtemp(join(tmpdir(), "zhixin-aws-audit-"));
    try {
      const fn = lambda(() => ({ payload: okReport(3) }));
      const first = await zhixin(["verify", "--function", FN_ARN], { ZHIXIN_HOME: auditHome }, fn.deps);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual(okReport(3));
      expect(fn.regions).toEqual(["cn-northwest-1"]);
      expect(fn.calls[0]).toMatchObject({
        functionName: FN_ARN,
        invocationType: "RequestResponse",
        payload: {},
      });
      expect(fn.calls[0]?.authorization).toContain("/cn-northwest-1/lambda/aws4_request");
      expect(await readFile(join(auditHome, "audit", "trusted-checkpoint"), "utf8")).toBe(
        okReport(3).checkpoint,
      );

      const second = await zhixin(
        ["verify", "--from", "2", "--to", "3"],
        { ZHIXIN_HOME: auditHome, ZHIXIN_VERIFY_FUNCTION: "zhixin-demo-verify", AWS_REGION: "cn-north-1" },
        fn.deps,
      );
      expect(second.code).toBe(0);
      expect(fn.regions[1]).toBe("cn-north-1");
      expect(fn.calls[1]).toMatchObject({
        functionName: "zhixin-demo-verify",
        payload: { from: 2, to: 3, trustedCheckpoint: okReport(3).checkpoint },
      });
    } finally {
      await rm(auditHome, { recursive: true, force: true });
    }
  });

  it("findings: exit 1; one entry: payload { entry }", async () => {
    const finding = { code: "PAYLOAD_MISSING", height: 2, entryId: "c".repeat(32), message: "gone" };
    const fn = lambda(() => ({ payload: { ...okReport(2), ok: false, findings: [finding] } }));
    const run = await zhixin(["verify", "--function", FN_ARN, "--forget"], {}, fn.deps);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings).toEqual([finding]);

    const entry = lambda(() => ({
      payload: { ok: true, entryId: "c".repeat(32), status: "pending", findings: [] },
    }));
    expect(
      (await zhixin(["verify", "--function", FN_ARN, "--entry", "c".repeat(32)], {}, entry.deps)).code,
    ).toBe(0);
    expect(entry.calls[0]?.payload).toEqual({ entry: "c".repeat(32) });
  });

  it("a FunctionError: exit 2 with the function's error message", async () => {
    const fn = lambda(() => ({
      functionError: "Unhandled",
      payload: {
        errorType: "KmsKeyDirectoryError",
        errorMessage: "cannot build the trust bundle from KMS",
        trace: [],
      },
    }));
    const run = await zhixin(["verify", "--function", FN_ARN, "--forget"], {}, fn.deps);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("KmsKeyDirectoryError: cannot build the trust bundle from KMS");
  });

  it("a refused payload: exit 2, as in local mode", async () => {
    const fn = lambda(() => ({
      payload: { ok: false, error: { code: "INVALID_PARAMETER", message: "trustedCheckpoint: bad" } },
    }));
    const run = await zhixin(["verify", "--function", FN_ARN, "--forget"], {}, fn.deps);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("INVALID_PARAMETER");
  });

  it("invoke denied: 'your role may not invoke <function>', exit 2", async () => {
    const fn = lambda(() => ({
      status: 403,
      payload: {
        __type: "AccessDeniedException",
        Message: "not authorized to perform: lambda:InvokeFunction",
      },
    }));
    const run = await zhixin(["verify", "--function", FN_ARN, "--forget"], {}, fn.deps);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`your role may not invoke ${FN_ARN}`);
  });
});
