import { createHmac } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import {
  consortiumMembers,
  KMS_KEY_DIRECTORY_ACTIONS,
  KmsKeyDirectory,
  kmsAlias,
  loadKmsKeyDirectory,
} from "../../../functions/auth/kms-key-directory.js";
import { KMS_SIGNING_ACTIONS, kmsSigningPort } from "../../../functions/auth/kms-signing-port.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { KMS_SUBJECT_KEY_ACTIONS, loadKmsSubjectKey } from "../../../functions/sharing/kms-subject-key.js";
import { fakeKms, type KmsReply, kmsError, TestKmsKey } from "../../support/fake-aws.js";

// The three modules that send KMS commands (two in functions/auth, one in
// functions/sharing, hence this file one level up) each declare beside their code the IAM
// actions they send, and test/cdk/grants-drift.test.ts checks that every function's role
// is granted those of the modules its runtime builds. Here each call runs on a real
// KMSClient whose requests stop at the SDK boundary (test/support/fake-aws.ts), which
// records each request's operation: once against a KMS that answers, once against one
// that refuses every request, so that what a failure path sends counts too. A call must
// send exactly the actions declared for it.

const consortium = loadConsortium("consortium.example.json");
const arn = (n: number) =>
  `arn:aws-cn:kms:cn-north-1:111122223333:key/0000000${n}-0000-0000-0000-000000000000`;
/** Every member's key and the sealer's, by alias (as the key directory reads them). */
const keys = new Map(
  consortiumMembers(consortium).map((m, i) => [
    kmsAlias(consortium.consortium, m.owner),
    new TestKmsKey(m.alg, arn(i)),
  ]),
);
const clock = { now: () => new Date("2026-11-21T08:00:00.000Z") };
const SIGNING_KEY = new TestKmsKey("ed25519", arn(8));
const SUBJECT_KEY = arn(9);

const answers = (operation: string, input: Record<string, unknown>): KmsReply => {
  if (operation === "GenerateMac") {
    const message = Buffer.from(String(input.Message), "base64");
    const mac = createHmac("sha256", "master").update(message).digest();
    return { body: { KeyId: SUBJECT_KEY, MacAlgorithm: input.MacAlgorithm, Mac: mac.toString("base64") } };
  }
  const key = input.KeyId === SIGNING_KEY.arn ? SIGNING_KEY : keys.get(String(input.KeyId));
  return key === undefined
    ? kmsError("NotFoundException", String(input.KeyId))
    : key.answer(operation, input);
};
const refuses = (): KmsReply => kmsError("AccessDeniedException", "refused");

type Call = (client: KMSClient) => Promise<unknown>;

// One call per method of the port: the type asks for every method KMS_SIGNING_ACTIONS
// declares, and that declaration for every method of KmsSigningPort.
const SIGNING_PORT_CALLS: { [M in keyof typeof KMS_SIGNING_ACTIONS]: Call } = {
  sign: (client) =>
    kmsSigningPort(client).sign({
      KeyId: SIGNING_KEY.arn,
      Message: new TextEncoder().encode("block header"),
      MessageType: "RAW",
      SigningAlgorithm: "ED25519_SHA_512",
    }),
  getPublicKey: (client) => kmsSigningPort(client).getPublicKey({ KeyId: SIGNING_KEY.arn }),
};

type Case = [name: string, declared: readonly string[], call: Call];

const CALLS: Case[] = [
  ...Object.entries(SIGNING_PORT_CALLS).map(
    ([method, call]): Case => [
      `auth/kms-signing-port.ts ${method}`,
      KMS_SIGNING_ACTIONS[method as keyof typeof KMS_SIGNING_ACTIONS],
      call,
    ],
  ),
  [
    "auth/kms-key-directory.ts loadKmsKeyDirectory (the audit's: every owner)",
    KMS_KEY_DIRECTORY_ACTIONS,
    (client) => loadKmsKeyDirectory(client, consortium, { clock, report: () => {} }),
  ],
  [
    "auth/kms-key-directory.ts KmsKeyDirectory loadOwner (the API's: one owner)",
    KMS_KEY_DIRECTORY_ACTIONS,
    (client) =>
      new KmsKeyDirectory(client, consortium, { clock, report: () => {} })
        .loadOwner("hf-haikou")
        .then(() => true),
  ],
  [
    "sharing/kms-subject-key.ts loadKmsSubjectKey",
    KMS_SUBJECT_KEY_ACTIONS,
    (client) => loadKmsSubjectKey(client, SUBJECT_KEY),
  ],
];

describe("each KMS call of the functions", () => {
  it.each(CALLS)("%s sends exactly the actions declared for it", async (_name, declared, call) => {
    const sent = new Set<string>();
    const answered = fakeKms(answers);
    // The answering KMS serves every call in full: the whole path is taken.
    await expect(call(answered.client)).resolves.toBeDefined();
    const refused = fakeKms(refuses);
    // A refusal ends the call in an error: what it sent on the way is what counts here.
    await expect(call(refused.client)).rejects.toBeInstanceOf(Error);
    for (const { operation } of [...answered.calls, ...refused.calls]) sent.add(`kms:${operation}`);
    expect([...sent].sort()).toEqual([...declared].sort());
  });
});
