import type { Signer } from "../../../lib/crypto/signer.js";
import { Api, ApiError, type TransportSigner } from "../api.js";
import type { Identity } from "../identity.js";
import type { AwsConsoleConfig, AwsMember } from "./config.js";
import { type AwsCredentials, assertUnexpired, credentialsToJson, parseCredentials } from "./credentials.js";
import { SignInError } from "./errors.js";
import { KmsError, kmsOverFetch } from "./kms.js";
import { kmsSigner } from "./kms-signer.js";
import { SIGN_IN_REFUSALS } from "./refusals.js";
import { sigv4Headers } from "./sigv4.js";

/**
 * Signing in on AWS (docs/CONSOLE.md "Sign-in on AWS"): the member the user chose and
 * their role's temporary credentials become the identity every view signs as — RFC 9421
 * with the member's KMS key (./kms-signer.ts), then SigV4 for the API's IAM authorisation
 * (Api's transport signer) — as `zhixin --kms-key` does on the command line.
 *
 * Signing in makes three calls, so that whatever is wrong is said here, not in a view:
 * kms:GetPublicKey (the key and its id), then GET /v1/keys/<member>, which makes one
 * kms:Sign and goes through the API's IAM and the ledger's signature check.
 *
 * The credentials stay in this tab's sessionStorage: a reload keeps the sign-in, closing
 * the tab forgets it. They are sent nowhere: SigV4 sends only signatures made with them.
 */

export interface AwsSession {
  member: string;
  /** The member role's credentials in the ledger's account: the API's SigV4, and KMS's too unless… */
  credentials: AwsCredentials;
  /** …the key is in the member's own account: its signing role's credentials. */
  kmsCredentials?: AwsCredentials | undefined;
}

export interface SignedIn {
  member: AwsMember;
  api: Api;
  /** The earliest expiry of the credentials in use. */
  expiration?: Date | undefined;
}

export interface SignInDeps {
  fetch?: typeof fetch;
  now?: () => Date;
  /** The sentence for a SignInError, in the page's language (../i18n/signin.ts). */
  explain: (e: SignInError) => string;
}

const STORAGE_KEY = "zhixin.aws.session";

export async function signIn(
  config: AwsConsoleConfig,
  session: AwsSession,
  deps: SignInDeps,
): Promise<SignedIn> {
  const now = deps.now ?? (() => new Date());
  const member = config.members.find((m) => m.id === session.member);
  if (member === undefined)
    throw new SignInError("CONFIG_INVALID", { detail: `no member ${session.member}` });
  const kmsCredentials = (member.ownAccount && session.kmsCredentials) || session.credentials;
  assertUnexpired(session.credentials, now());
  assertUnexpired(kmsCredentials, now());
  const kms = kmsOverFetch({
    endpoint: config.kmsEndpoint,
    region: config.region,
    credentials: kmsCredentials,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now,
  });
  let signer: Signer;
  try {
    signer = await kmsSigner(kms, { owner: member.id, kmsKey: member.kmsKey, alg: member.alg });
  } catch (e) {
    throw explainFailure(e, member);
  }
  const identity: Identity = {
    id: member.id,
    name: member.name,
    role: member.role,
    signer: explainedSigner(signer, member, kmsCredentials, now, deps.explain),
  };
  const api = new Api(identity, "", apiTransport(config, session.credentials, now, deps.explain));
  try {
    await api.get(`/v1/keys/${encodeURIComponent(member.id)}`);
  } catch (e) {
    throw explainFailure(e, member, signer.keyId);
  }
  const expiries = [session.credentials.expiration, kmsCredentials.expiration].filter(
    (d): d is Date => d !== undefined,
  );
  return {
    member,
    api,
    expiration: expiries.length ? new Date(Math.min(...expiries.map((d) => d.getTime()))) : undefined,
  };
}

/** SigV4 for execute-api on the API's host, refused once the credentials have expired. */
export function apiTransport(
  config: Pick<AwsConsoleConfig, "apiHost" | "region">,
  credentials: AwsCredentials,
  now: () => Date,
  explain: (e: SignInError) => string,
): TransportSigner {
  return async (request) => {
    try {
      assertUnexpired(credentials, now());
    } catch (e) {
      throw asApiError(e as SignInError, explain);
    }
    return sigv4Headers(
      { ...request, host: config.apiHost },
      { service: "execute-api", region: config.region, credentials },
      now(),
    );
  };
}

/** The signer views use: its failures become an ApiError with the sentence saying what to do. */
function explainedSigner(
  signer: Signer,
  member: AwsMember,
  credentials: AwsCredentials,
  now: () => Date,
  explain: (e: SignInError) => string,
): Signer {
  return {
    keyId: signer.keyId,
    alg: signer.alg,
    publicKey: () => signer.publicKey(),
    async sign(message) {
      try {
        assertUnexpired(credentials, now());
        return await signer.sign(message);
      } catch (e) {
        const why = explainFailure(e, member);
        throw why instanceof SignInError ? asApiError(why, explain) : why;
      }
    },
  };
}

function asApiError(e: SignInError, explain: (e: SignInError) => string): ApiError {
  return new ApiError(0, e.code, explain(e), e.values);
}

/**
 * What a failure means to the user. KMS's exception names (AWS KMS API Reference, "Common
 * Errors" and each action's errors); the API's 403 without a ledger error is IAM's or
 * API Gateway's; a ledger 401 is the ledger refusing the signature the key made.
 */
export function explainFailure(e: unknown, member: AwsMember, keyId?: string): unknown {
  if (e instanceof SignInError) return e;
  if (e instanceof ApiError && e.status === 0 && e.code in SIGN_IN_REFUSALS) {
    return new SignInError(e.code as SignInError["code"], (e.details ?? {}) as Record<string, string>);
  }
  const key = member.kmsKey;
  if (e instanceof KmsError) {
    switch (e.type) {
      case "ExpiredTokenException":
      case "RequestExpired":
        return new SignInError("CREDENTIALS_EXPIRED", { expiration: "" });
      case "UnrecognizedClientException":
      case "InvalidSignatureException":
      case "IncompleteSignature":
      case "MissingAuthenticationToken":
        return new SignInError("CREDENTIALS_REJECTED", { detail: `${e.type}: ${e.message}` });
      case "AccessDeniedException":
        return new SignInError("KMS_ACCESS_DENIED", { key, detail: e.message });
      case "NotFoundException":
        return new SignInError("KMS_KEY_NOT_FOUND", { key });
      case "DisabledException":
      case "KMSInvalidStateException":
        return new SignInError("KMS_KEY_DISABLED", { key, detail: e.message });
      case "InvalidKeyUsageException":
      case "UnsupportedOperationException":
        return new SignInError("KEY_WRONG_ALGORITHM", { key, detail: e.message });
      default:
        return new SignInError("KMS_UNREACHABLE", { detail: `${e.type}: ${e.message}` });
    }
  }
  if (e instanceof ApiError) {
    if (/expired/i.test(e.message) && e.code.startsWith("HTTP_")) {
      return new SignInError("CREDENTIALS_EXPIRED", { expiration: "" });
    }
    if (e.status === 403 && e.code.startsWith("HTTP_")) {
      return new SignInError("API_FORBIDDEN", { detail: e.message });
    }
    if (e.status === 401)
      return new SignInError("KEY_NOT_MEMBERS", { keyId: keyId ?? "", detail: `${e.code}: ${e.message}` });
    return e;
  }
  if (e instanceof TypeError) {
    // fetch's only failure: no answer (network, CORS, or the page's CSP).
    return new SignInError("KMS_UNREACHABLE", { detail: e.message });
  }
  return e;
}

/** The session as this tab keeps it; an expired one is forgotten. */
export function savedSession(now: Date): AwsSession | undefined {
  const text = globalThis.sessionStorage?.getItem(STORAGE_KEY);
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as { member: string; credentials: unknown; kmsCredentials?: unknown };
    return {
      member: o.member,
      credentials: parseCredentials(JSON.stringify(o.credentials), now),
      ...(o.kmsCredentials
        ? { kmsCredentials: parseCredentials(JSON.stringify(o.kmsCredentials), now) }
        : {}),
    };
  } catch {
    forgetSession();
    return undefined;
  }
}

export function keepSession(s: AwsSession): void {
  globalThis.sessionStorage?.setItem(
    STORAGE_KEY,
    JSON.stringify({
      member: s.member,
      credentials: credentialsToJson(s.credentials),
      ...(s.kmsCredentials ? { kmsCredentials: credentialsToJson(s.kmsCredentials) } : {}),
    }),
  );
}

export function forgetSession(): void {
  globalThis.sessionStorage?.removeItem(STORAGE_KEY);
}
