import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { fromNodeProviderChain } from "@aws-sdk/credential-providers";

/**
 * What the CLI needs to talk to a deployed stack: where the region comes from, what
 * the SDK clients are, and how AWS failures read to a user. Credentials come from the
 * standard Node provider chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/…, SSO, instance role),
 * one provider shared by KMS, Lambda and SigV4 — except that `--kms-profile` gives KMS a
 * profile of its own, for a member whose key is in its own account while the API is
 * called with a role in the ledger's (docs/DEPLOY.md, "Members' keys").
 */

/** A credentials provider as the SDK clients and SignatureV4 accept it. */
export type CredentialsProvider = ReturnType<typeof fromNodeProviderChain>;

/** Injected by tests (main's third argument); the normal path builds real clients. */
export interface AwsDeps {
  credentials?: CredentialsProvider;
  /** `credentials` are --kms-profile's when given, else the shared provider's. */
  kmsClient?: (region: string | undefined, credentials: CredentialsProvider) => KMSClient;
  lambdaClient?: (region: string | undefined) => LambdaClient;
}

/**
 * An AWS failure explained for the user; exit status 2 (a key, credentials or
 * connection problem, not a refusal by the ledger).
 */
export type AwsCliErrorCode =
  | "NO_CREDENTIALS"
  | "CREDENTIALS_REJECTED"
  | "NO_REGION"
  | "ACCESS_DENIED"
  | "NOT_FOUND"
  | "KEY_UNUSABLE"
  | "FUNCTION_ERROR"
  | "BAD_RESPONSE"
  | "AWS_ERROR";

export class AwsCliError extends Error {
  override readonly name = "AwsCliError";
  constructor(
    readonly code: AwsCliErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const CREDENTIALS_HELP =
  "provide them the standard way: AWS_PROFILE (after `aws configure` or `aws sso login`), " +
  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or an instance or container role";

/** What the CLI was doing when AWS failed: says whose permission is missing. */
export type AwsAction =
  | { kind: "kms-sign"; key: string }
  | { kind: "kms-read"; key: string }
  | { kind: "invoke"; fn: string }
  | { kind: "sigv4" };

const REJECTED_CREDENTIALS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidClientTokenId",
  "ExpiredTokenException",
  "ExpiredToken",
  "SignatureDoesNotMatch",
]);

/** An AwsCliError for an SDK or credentials failure; anything else is returned unchanged. */
export function explainAwsError(e: unknown, action: AwsAction): unknown {
  if (!(e instanceof Error) || e instanceof AwsCliError) return e;
  const { name, message } = e;
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(message)) {
    return new AwsCliError("NO_CREDENTIALS", `no AWS credentials found: ${CREDENTIALS_HELP}`);
  }
  if (/^Region is missing/.test(message)) {
    return new AwsCliError("NO_REGION", "no AWS region: pass --region, or set AWS_REGION");
  }
  if (!("$metadata" in e)) return e;
  if (REJECTED_CREDENTIALS.has(name)) {
    return new AwsCliError(
      "CREDENTIALS_REJECTED",
      `AWS refused your credentials (${name}: ${message}); refresh them or check AWS_PROFILE`,
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    const what =
      action.kind === "kms-sign"
        ? `your role may not sign with ${action.key} (kms:Sign)`
        : action.kind === "kms-read"
          ? `your role may not read the public key of ${action.key} (kms:GetPublicKey), from which the key id its signatures name is derived`
          : action.kind === "invoke"
            ? `your role may not invoke ${action.fn} (lambda:InvokeFunction)`
            : "access denied";
    return new AwsCliError("ACCESS_DENIED", `${what}: ${message}`);
  }
  if (name === "NotFoundException" && action.kind !== "invoke" && action.kind !== "sigv4") {
    return new AwsCliError("NOT_FOUND", `no KMS key ${action.key}: ${message}`);
  }
  if (name === "ResourceNotFoundException" && action.kind === "invoke") {
    return new AwsCliError("NOT_FOUND", `no function ${action.fn}: ${message}`);
  }
  if (
    (name === "DisabledException" || name === "KMSInvalidStateException") &&
    (action.kind === "kms-sign" || action.kind === "kms-read")
  ) {
    return new AwsCliError("KEY_UNUSABLE", `KMS key ${action.key} cannot be used now (${name}): ${message}`);
  }
  return new AwsCliError("AWS_ERROR", `${name}: ${message}`);
}

/** "arn:aws:kms:cn-north-1:…" → "cn-north-1"; undefined when not an ARN with a region. */
export function regionOfArn(value: string): string | undefined {
  return /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):/.exec(value)?.[1] || undefined;
}

/** --region, else the ARN's, else AWS_REGION / AWS_DEFAULT_REGION; undefined: the SDK's profile. */
export function resolveRegion(
  explicit: string | undefined,
  fromResource: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  return explicit || fromResource || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i;

/**
 * The region of a deployed API's URL, undefined for any other URL (local mode, a custom
 * domain — for which --sigv4 and --region say it):
 *   https://<api id>.execute-api.<region>.amazonaws.com[.cn]/...
 */
export function executeApiRegion(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === "https:" ? EXECUTE_API_HOST.exec(u.hostname)?.[1] : undefined;
  } catch {
    return undefined;
  }
}
