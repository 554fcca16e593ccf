import { GenerateMacCommand, type KMSClient } from "@aws-sdk/client-kms";
import { SUBJECT_KEY_BYTES, SUBJECT_KEY_LABEL } from "#chain";

/**
 * What loadKmsSubjectKey sends to KMS, as IAM actions: the role of the function that
 * loads it must be granted them on the subject key (test/cdk/grants-drift.test.ts), and
 * it sends exactly these (test/unit/functions/kms-actions.test.ts).
 */
export const KMS_SUBJECT_KEY_ACTIONS = ["kms:GenerateMac"] as const;

/**
 * The working subject key on AWS: KMS GenerateMac (HMAC_SHA_256) over utf8(SUBJECT_KEY_LABEL)
 * with the deployment's HMAC_256 key (GENERATE_VERIFY_MAC), i.e. exactly
 * deriveSubjectKey(master) of lib/chain subject.ts with master = the key material, which
 * never leaves KMS. Called once per cold start and the result kept in memory, so hashing
 * a subject costs no KMS call; revoking kms:GenerateMac stops new containers from getting
 * the key (running ones keep theirs until they are recycled).
 *
 * `kmsKeyId` is a key id, ARN or alias. SDK errors (access denied, disabled key, a key
 * that is not an HMAC key) propagate unchanged.
 */
export async function loadKmsSubjectKey(kms: KMSClient, kmsKeyId: string): Promise<Uint8Array> {
  const { Mac } = await kms.send(
    new GenerateMacCommand({
      KeyId: kmsKeyId,
      MacAlgorithm: "HMAC_SHA_256",
      Message: new TextEncoder().encode(SUBJECT_KEY_LABEL),
    }),
  );
  // HMAC_SHA_256 always gives 32 bytes; anything else is not the key we derive locally.
  if (Mac?.length !== SUBJECT_KEY_BYTES) {
    throw new Error(
      `KMS GenerateMac with ${kmsKeyId} gave ${Mac === undefined ? "no Mac" : `a ${Mac.length}-byte Mac`}, ` +
        `want ${SUBJECT_KEY_BYTES} bytes (is it an HMAC_256 key?)`,
    );
  }
  return Uint8Array.from(Mac);
}
