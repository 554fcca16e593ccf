import { GetPublicKeyCommand, type KMSClient, SignCommand } from "@aws-sdk/client-kms";
import type { SignatureAlgorithm } from "#chain";
import { KEY_SPEC_ALGORITHM, KmsSigner, type KmsSigningPort } from "../lib/crypto/kms-signer.js";
import type { Signer } from "../lib/crypto/signer.js";
import { AwsCliError, explainAwsError } from "./aws.js";
import type { Identity } from "./identity.js";
import { UsageError } from "./usage.js";

/**
 * Acting as a member whose key is in KMS (`--kms-key <arn|alias>`), as a department does
 * against a deployed stack. The consortium knows a member's key (what goes in `keyid=`) by
 *   - its key ARN, when the key is in the member's own account (the file's keyArn);
 *   - else the alias the consortium stack gave it, alias/zhixin/<consortium>/<member>.
 * So with an alias (or alias ARN) the key id and the member follow from it; with a key
 * ARN the key id is the ARN and the member is the one whose keyArn it is (the caller
 * looks it up in the consortium file) or --as; with a bare key id, --key-id and --as must
 * say them. --key-id overrides (a ledger-account key named by its ARN is known by its
 * alias). The algorithm is the key's KeySpec, read with GetPublicKey, unless --alg gives it.
 */

export interface KmsIdentityOptions {
  /** Key id, key ARN, alias name or alias ARN — whatever KMS takes as KeyId. */
  kmsKey: string;
  as?: string | undefined;
  keyId?: string | undefined;
  alg?: SignatureAlgorithm | undefined;
  client: KMSClient;
  command: string;
}

/** "alias/x" or "arn:aws:kms:r:a:alias/x" → "alias/x"; undefined for a key id or key ARN. */
export function aliasName(kmsKey: string): string | undefined {
  if (kmsKey.startsWith("alias/")) return kmsKey;
  return /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(kmsKey)?.[1];
}

/** "arn:aws:kms:r:a:key/k" → itself; undefined for an alias, alias ARN or bare key id. */
export function keyArn(kmsKey: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\/.+$/.test(kmsKey) ? kmsKey : undefined;
}

/** The member of a key id of the form alias/zhixin/<consortium>/<member>. */
export function memberOfAlias(keyId: string): string | undefined {
  return /^alias\/zhixin\/[^/]+\/([^/]+)$/.exec(keyId)?.[1];
}

export async function kmsIdentity(options: KmsIdentityOptions): Promise<Identity> {
  const { kmsKey, client, command } = options;
  const keyId = options.keyId ?? aliasName(kmsKey) ?? keyArn(kmsKey);
  if (keyId === undefined) {
    throw new UsageError(
      `--kms-key ${kmsKey} is a bare key id: pass its key ARN, or --key-id with the id the consortium knows the key by (its keyArn, or alias/zhixin/<consortium>/<member>)`,
      command,
    );
  }
  const department = options.as ?? memberOfAlias(keyId);
  if (department === undefined) {
    throw new UsageError(
      `pass --as <member>: no member of the consortium file has the keyArn ${keyId}, and the key id does not name its member`,
      command,
    );
  }
  const alg = options.alg ?? (await algorithmOf(client, kmsKey));
  return {
    department,
    signer: new ExplainedSigner(new KmsSigner(signingPort(client), { keyId, alg, kmsKeyId: kmsKey }), kmsKey),
  };
}

async function algorithmOf(client: KMSClient, kmsKey: string): Promise<SignatureAlgorithm> {
  let spec: string | undefined;
  try {
    spec = (await client.send(new GetPublicKeyCommand({ KeyId: kmsKey }))).KeySpec;
  } catch (e) {
    throw explainAwsError(e, { kind: "kms-read", key: kmsKey });
  }
  const alg = spec === undefined ? undefined : KEY_SPEC_ALGORITHM[spec];
  if (alg === undefined) {
    throw new AwsCliError(
      "KEY_UNUSABLE",
      `KMS key ${kmsKey} is ${spec ?? "of no key spec"}; Zhixin signs with ECC_NIST_EDWARDS25519 or ECC_NIST_P256 keys`,
    );
  }
  return alg;
}

/** KmsSigner's two KMS calls on the CLI's SDK client (the same one-liners as the service's). */
function signingPort(client: KMSClient): KmsSigningPort {
  return {
    sign: (input) => client.send(new SignCommand(input)),
    getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)),
  };
}

/** A KMS signer whose failures say, in the user's terms, what is wrong (see ./aws.ts). */
class ExplainedSigner implements Signer {
  constructor(
    private readonly inner: KmsSigner,
    private readonly kmsKey: string,
  ) {}

  get keyId(): string {
    return this.inner.keyId;
  }

  get alg(): SignatureAlgorithm {
    return this.inner.alg;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.inner.sign(message);
    } catch (e) {
      throw explainAwsError(e, { kind: "kms-sign", key: this.kmsKey });
    }
  }

  async publicKey(): Promise<Uint8Array> {
    try {
      return await this.inner.publicKey();
    } catch (e) {
      throw explainAwsError(e, { kind: "kms-read", key: this.kmsKey });
    }
  }
}
