import { GetPublicKeyCommand, type KMSClient, SignCommand } from "@aws-sdk/client-kms";
import type { KmsSigningPort } from "../../lib/crypto/kms-signer.js";

/**
 * What each method sends to KMS, as IAM actions: the role of a function that signs with
 * KMS (the seal function) must be granted them on its key (test/cdk/grants-drift.test.ts),
 * and each method sends exactly these (test/unit/functions/kms-actions.test.ts).
 */
export const KMS_SIGNING_ACTIONS = {
  sign: ["kms:Sign"],
  getPublicKey: ["kms:GetPublicKey"],
} as const satisfies Record<keyof KmsSigningPort, readonly `kms:${string}`[]>;

/** KmsSigner's two KMS calls on an SDK client (the client is created once and shared). */
export function kmsSigningPort(client: KMSClient): KmsSigningPort {
  return {
    sign: (input) => client.send(new SignCommand(input)),
    getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)),
  };
}
