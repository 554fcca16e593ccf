import { GetPublicKeyCommand, type KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { type CryptoSuite, KEY_OWNER, type SignatureAlgorithm } from "#chain";
import { CryptoError } from "../lib/crypto/errors.js";
import { KmsSigner, type KmsSigningPort } from "../lib/crypto/kms-signer.js";
import type { Signer } from "../lib/crypto/signer.js";
import { AwsCliError, explainAwsError } from "./aws.js";
import type { Identity } from "./identity.js";
import { UsageError } from "./usage.js";

/**
 * Acting as a member whose key is in KMS (`--kms-key <arn|alias|key id>`), as a department
 * does against a deployed stack. The key's id, what goes in `keyid=`, is derived from the
 * key (docs/design/key-history.md §1), `<member>/<16 hex of SHA-256(spki)>`, so one
 * GetPublicKey always comes first: its SPKI gives the id and its KeySpec the algorithm
 * (--alg, if given, must be that). The member is --as, else
 *   - the <member> of an alias alias/zhixin/<consortium>/<member> (or its alias ARN);
 *   - the member whose keyArn the key ARN is (the caller looks it up in the consortium file).
 * --key-id overrides the derived id.
 */

export interface KmsIdentityOptions {
  /** Key id, key ARN, alias name or alias ARN — whatever KMS takes as KeyId. */
  kmsKey: string;
  as?: string | undefined;
  keyId?: string | undefined;
  alg?: SignatureAlgorithm | undefined;
  /** The ledger's crypto suite (the consortium file's). */
  suite: CryptoSuite;
  client: KMSClient;
  command: string;
}

/** "alias/x" or "arn:aws:kms:r:a:alias/x" → "alias/x"; undefined for a key id or key ARN. */
export function aliasName(kmsKey: string): string | undefined {
  if (kmsKey.startsWith("alias/")) return kmsKey;
  return /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(kmsKey)?.[1];
}

/** The member of an alias of the form alias/zhixin/<consortium>/<member>. */
export function memberOfAlias(alias: string): string | undefined {
  return /^alias\/zhixin\/[^/]+\/([^/]+)$/.exec(alias)?.[1];
}

export async function kmsIdentity(options: KmsIdentityOptions): Promise<Identity> {
  const { kmsKey, client, command } = options;
  const alias = aliasName(kmsKey);
  const department = options.as ?? (alias === undefined ? undefined : memberOfAlias(alias));
  if (department === undefined) {
    throw new UsageError(
      `pass --as <member>: --kms-key ${kmsKey} is no member's keyArn in the consortium file, nor an alias alias/zhixin/<consortium>/<member>`,
      command,
    );
  }
  if (!KEY_OWNER.test(department)) {
    throw new UsageError(`--as ${department} is not a member id`, command);
  }
  let signer: KmsSigner;
  try {
    signer = await KmsSigner.forOwner(signingPort(client), {
      suite: options.suite,
      owner: department,
      kmsKeyId: kmsKey,
      alg: options.alg,
      keyId: options.keyId,
    });
  } catch (e) {
    if (e instanceof CryptoError) {
      throw new AwsCliError(
        "KEY_UNUSABLE",
        `${e.message}; Zhixin signs with ECC_NIST_EDWARDS25519, ECC_NIST_P256 or SM2 SIGN_VERIFY keys`,
      );
    }
    throw explainAwsError(e, { kind: "kms-read", key: kmsKey });
  }
  return { department, suite: options.suite, signer: new ExplainedSigner(signer, kmsKey) };
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
