import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { SignatureAlgorithm } from "#chain";
import {
  type Consortium,
  parseConsortiumText,
  readConsortiumText,
  suiteOf,
} from "../../lib/consortium/consortium.js";
import {
  type AwsDeps,
  type CredentialsProvider,
  executeApiRegion,
  explainAwsError,
  regionOfArn,
  resolveRegion,
} from "../aws.js";
import { type TransportSigner, ZhixinClient } from "../client.js";
import { localPaths } from "../defaults.js";
import { type Identity, loadIdentity } from "../identity.js";
import { InputError } from "../input.js";
import { type CommandName, DEFAULTS, UsageError, type Values } from "../usage.js";

/**
 * What every command runs with: the API URL, local paths, the consortium, credentials,
 * the signing identity and clients (Context), and the option and output helpers the
 * commands share.
 */

export class Context {
  readonly url: string;
  readonly home: string;
  readonly consortiumFile: string;
  /** The API is IAM-authorised: requests are SigV4-signed (--sigv4, ZHIXIN_SIGV4=1, or an execute-api URL). */
  readonly sigv4: boolean;
  #consortium: Consortium | undefined;
  #credentials: CredentialsProvider | undefined;
  #transport: Promise<TransportSigner | undefined> | undefined;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly values: Values,
    readonly command: CommandName,
    readonly deps: AwsDeps,
  ) {
    this.url = env.ZHIXIN_URL || DEFAULTS.url;
    const paths = localPaths(env, process.cwd());
    this.home = paths.home;
    this.consortiumFile = paths.consortium;
    this.sigv4 =
      values.sigv4 === true ||
      ["1", "true", "yes"].includes((env.ZHIXIN_SIGV4 ?? "").toLowerCase()) ||
      executeApiRegion(this.url) !== undefined;
  }

  get consortium(): Consortium {
    this.#consortium ??= parseConsortiumText(
      readConsortiumText(this.consortiumFile, (p) => readFileSync(p, "utf8")),
      this.consortiumFile,
    );
    return this.#consortium;
  }

  /** One provider for KMS, Lambda and SigV4, so credentials are resolved (and an SSO prompt shown) once. */
  async credentials(): Promise<CredentialsProvider> {
    if (this.deps.credentials) return this.deps.credentials;
    if (!this.#credentials) {
      const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
      this.#credentials = fromNodeProviderChain();
    }
    return this.#credentials;
  }

  /**
   * KMS's credentials: --kms-profile's (a profile of the shared AWS config and credentials
   * files, which may itself assume a role or use SSO), else the shared provider's. A
   * member whose key is in its own account signs with that account's credentials and calls
   * the API with the ledger account's role.
   */
  async kmsCredentials(): Promise<CredentialsProvider> {
    const profile = optionalString(this.values, "kms-profile");
    if (profile === undefined) return this.credentials();
    const { fromIni } = await import("@aws-sdk/credential-providers");
    const provider = fromIni({
      profile,
      ...(this.env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: this.env.AWS_SHARED_CREDENTIALS_FILE } : {}),
      ...(this.env.AWS_CONFIG_FILE ? { configFilepath: this.env.AWS_CONFIG_FILE } : {}),
    });
    return async () => {
      try {
        return await provider();
      } catch (e) {
        throw new UsageError(
          `--kms-profile ${profile}: no usable credentials in that profile (${(e as Error).message}); ` +
            "see `aws configure list-profiles`",
        );
      }
    };
  }

  /**
   * The member whose keyArn in the consortium file is `kmsKey`; undefined for an alias, or a
   * key the file does not name (kmsIdentity then asks for --as).
   */
  ownerOfKeyArn(kmsKey: string): string | undefined {
    if (!kmsKey.startsWith("arn:") || kmsKey.includes(":alias/")) return undefined;
    const c = this.consortium;
    return [...c.departments, ...c.auditors].find((m) => m.keyArn === kmsKey)?.id;
  }

  /** --region, else the region in `arn`, else AWS_REGION / AWS_DEFAULT_REGION, else the SDK's (profile). */
  region(arn?: string): string | undefined {
    return resolveRegion(optionalString(this.values, "region"), arn && regionOfArn(arn), this.env);
  }

  /** SigV4 for the API, when it is IAM-authorised. */
  transport(): Promise<TransportSigner | undefined> {
    this.#transport ??= (async () => {
      if (!this.sigv4) return undefined;
      const { sigv4Signer } = await import("../sigv4.js");
      const region = resolveRegion(
        optionalString(this.values, "region"),
        executeApiRegion(this.url),
        this.env,
      );
      if (region === undefined) {
        throw new UsageError(`cannot tell the AWS region of ${this.url} to SigV4-sign for: pass --region`);
      }
      const sign = sigv4Signer({ region, credentials: await this.credentials() });
      return async (request) => {
        try {
          return await sign(request);
        } catch (e) {
          throw explainAwsError(e, { kind: "sigv4" });
        }
      };
    })();
    return this.#transport;
  }

  /** A client with no identity: health and the local admin routes. */
  async anonymousClient(): Promise<ZhixinClient> {
    const transport = await this.transport();
    return new ZhixinClient({
      url: this.url,
      suite: suiteOf(this.consortium),
      ...(transport ? { transport } : {}),
    });
  }

  /** A client signing as --as (or the member of --kms-key's alias), or as the consortium's first auditor. */
  async client(): Promise<ZhixinClient> {
    const identity = await this.identity();
    const transport = await this.transport();
    return new ZhixinClient({ url: this.url, ...identity, ...(transport ? { transport } : {}) });
  }

  async identity(): Promise<Identity> {
    const kmsKey = optionalString(this.values, "kms-key");
    const as = optionalString(this.values, "as");
    if (kmsKey !== undefined) {
      return this.kmsIdentityOf(
        kmsKey,
        as ?? this.ownerOfKeyArn(kmsKey),
        optionalString(this.values, "key-id"),
      );
    }
    for (const flag of ["key-id", "alg", "kms-profile"]) {
      if (this.values[flag] !== undefined) throw new UsageError(`--${flag} goes with --kms-key`);
    }
    return loadIdentity(suiteOf(this.consortium), this.home, this.member(as));
  }

  /** Acting as `as` with the KMS key `kmsKey` (../kms-identity.ts): one GetPublicKey names it. */
  async kmsIdentityOf(kmsKey: string, as: string | undefined, keyId?: string): Promise<Identity> {
    const [{ kmsIdentity }, { KMSClient }] = await Promise.all([
      import("../kms-identity.js"),
      import("@aws-sdk/client-kms"),
    ]);
    const region = this.region(kmsKey);
    const credentials = await this.kmsCredentials();
    const client =
      this.deps.kmsClient?.(region, credentials) ??
      new KMSClient({ ...(region ? { region } : {}), credentials });
    return kmsIdentity({
      kmsKey,
      as,
      keyId,
      alg: this.alg(),
      suite: suiteOf(this.consortium),
      client,
      command: this.command,
    });
  }

  /** Checks --as against the consortium file; without it, the consortium's first auditor. */
  member(as: string | undefined): string {
    const c = this.consortium;
    const members = [...c.departments.map((d) => d.id), ...c.auditors.map((a) => a.id)];
    if (as === undefined) {
      const auditor = c.auditors[0]?.id;
      if (auditor === undefined) {
        throw new UsageError(`${this.consortiumFile} names no auditor to read as; pass --as <member>`);
      }
      return auditor;
    }
    if (!members.includes(as)) {
      throw new UsageError(
        `--as ${as} is not a member of ${c.consortium} (${this.consortiumFile}); members: ${members.join(", ")}`,
      );
    }
    return as;
  }

  alg(): SignatureAlgorithm | undefined {
    const alg = optionalString(this.values, "alg");
    if (alg === undefined || alg === "ed25519" || alg === "ecdsa-p256-sha256") return alg;
    throw new UsageError(`--alg must be ed25519 or ecdsa-p256-sha256, got ${JSON.stringify(alg)}`);
  }

  /** The verify function's client; region from --region, the function ARN, or the environment. */
  async lambdaClient(fn: string) {
    const region = this.region(fn);
    const injected = this.deps.lambdaClient?.(region);
    if (injected) return injected;
    const { LambdaClient } = await import("@aws-sdk/client-lambda");
    return new LambdaClient({ ...(region ? { region } : {}), credentials: await this.credentials() });
  }
}

// ---- input helpers ------------------------------------------------------------------------

export async function readInput(file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function requireString(values: Values, name: string, command: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`, command);
  return value;
}

export function optionalString(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable option's values, in command-line order. */
export function optionalStrings(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

export function positiveInteger(value: NonNullable<Values[string]>, what: string, command: string): number {
  const text = String(value);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`, command);
  }
  return Number(text);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
