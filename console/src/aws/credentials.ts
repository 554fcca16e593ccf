import { SignInError } from "./errors.js";

/**
 * A member role's temporary credentials as the user pastes them: what
 *
 *   aws configure export-credentials --profile <member profile> --format process
 *
 * prints, the process-credentials JSON of the AWS CLI:
 *
 *   {"Version": 1, "AccessKeyId": "ASIA…", "SecretAccessKey": "…",
 *    "SessionToken": "…", "Expiration": "2026-05-01T12:00:00+00:00"}
 *
 * Version, SessionToken and Expiration may be absent (long-term keys have neither). The
 * page keeps them in sessionStorage only (./session.ts), so they go with the tab.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When they stop working; undefined for long-term keys. */
  expiration?: Date | undefined;
}

/** Parses the pasted JSON; SignInError CREDENTIALS_NOT_JSON, CREDENTIALS_INCOMPLETE or CREDENTIALS_EXPIRED. */
export function parseCredentials(text: string, now: Date): AwsCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SignInError("CREDENTIALS_NOT_JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SignInError("CREDENTIALS_NOT_JSON");
  }
  const o = json as Record<string, unknown>;
  const field = (name: string): string | undefined => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") throw new SignInError("CREDENTIALS_INCOMPLETE", { field: name });
    return v;
  };
  const accessKeyId = field("AccessKeyId");
  const secretAccessKey = field("SecretAccessKey");
  if (accessKeyId === undefined) throw new SignInError("CREDENTIALS_INCOMPLETE", { field: "AccessKeyId" });
  if (secretAccessKey === undefined) {
    throw new SignInError("CREDENTIALS_INCOMPLETE", { field: "SecretAccessKey" });
  }
  const sessionToken = field("SessionToken");
  const expirationText = field("Expiration");
  let expiration: Date | undefined;
  if (expirationText !== undefined) {
    expiration = new Date(expirationText);
    if (Number.isNaN(expiration.getTime())) {
      throw new SignInError("CREDENTIALS_INCOMPLETE", { field: "Expiration" });
    }
  }
  const credentials = { accessKeyId, secretAccessKey, sessionToken, expiration };
  assertUnexpired(credentials, now);
  return credentials;
}

/** SignInError CREDENTIALS_EXPIRED once `now` is past their expiry. */
export function assertUnexpired(credentials: AwsCredentials, now: Date): void {
  if (credentials.expiration !== undefined && credentials.expiration.getTime() <= now.getTime()) {
    throw new SignInError("CREDENTIALS_EXPIRED", { expiration: credentials.expiration.toISOString() });
  }
}

/** The JSON sessionStorage keeps (dates as ISO text). */
export function credentialsToJson(c: AwsCredentials): Record<string, string> {
  return {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    ...(c.sessionToken ? { SessionToken: c.sessionToken } : {}),
    ...(c.expiration ? { Expiration: c.expiration.toISOString() } : {}),
  };
}
