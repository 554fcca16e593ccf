import { useEffect, useState } from "preact/hooks";
import { lang, translator } from "../i18n/index.js";
import { signin } from "../i18n/signin.js";
import { useSignal } from "../state.js";
import type { AwsConsoleConfig } from "./config.js";
import { type AwsCredentials, parseCredentials } from "./credentials.js";
import { SignInError } from "./errors.js";
import { SIGN_IN_REFUSALS } from "./refusals.js";
import { type AwsSession, keepSession, type SignedIn, signIn } from "./session.js";
import "./sign-in.css";

/**
 * The sign-in form on AWS: the user picks their member and pastes their role's temporary
 * credentials (./credentials.ts); signing in (./session.ts) checks them against KMS, the
 * API's IAM and the ledger before any view opens, and says what to do when one refuses.
 */

const t = translator(signin);

/** The sentence for a refusal, in the page's language. */
export function explainSignIn(e: SignInError): string {
  const text = SIGN_IN_REFUSALS[e.code][lang.get()];
  return text.replace(/\{(\w+)\}/g, (m, k: string) => e.values[k] ?? m);
}

export function SignInForm(props: {
  config: AwsConsoleConfig;
  /** A refusal from restoring the tab's session, shown until the user tries again. */
  error?: string | undefined;
  onSignedIn: (s: SignedIn) => void;
}) {
  useSignal(lang);
  const { members } = props.config;
  const [memberId, setMemberId] = useState(members[0]?.id ?? "");
  const [text, setText] = useState("");
  const [kmsText, setKmsText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(props.error);
  const member = members.find((m) => m.id === memberId) ?? members[0];
  const profile = `zhixin-${member?.id ?? "<member>"}`;

  async function submit(e: Event) {
    e.preventDefault();
    if (!member) return;
    setBusy(true);
    setError(undefined);
    try {
      const now = new Date();
      const credentials: AwsCredentials = parseCredentials(text.trim(), now);
      const session: AwsSession = {
        member: member.id,
        credentials,
        ...(member.ownAccount ? { kmsCredentials: parseCredentials(kmsText.trim(), now) } : {}),
      };
      const signedIn = await signIn(props.config, session, { explain: explainSignIn });
      keepSession(session);
      props.onSignedIn(signedIn);
    } catch (err) {
      setError(
        err instanceof SignInError ? explainSignIn(err) : err instanceof Error ? err.message : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="signin" onSubmit={submit} aria-labelledby="signin-title">
      <h2 id="signin-title">{t("title")}</h2>
      <p>{t("intro")}</p>
      <label for="signin-member">{t("member")}</label>
      <select
        id="signin-member"
        data-testid="signin-member"
        value={memberId}
        onChange={(e) => setMemberId((e.currentTarget as HTMLSelectElement).value)}
      >
        {members.map((m) => (
          <option key={m.id} value={m.id}>
            {m.id} — {m.name}
          </option>
        ))}
      </select>
      <CredentialsField
        id="signin-credentials"
        helpId="signin-credentials-help"
        label={t("credentials")}
        help={t("credentialsHelp", { profile })}
        value={text}
        onInput={setText}
      />
      {member?.ownAccount && (
        <CredentialsField
          id="signin-kms-credentials"
          helpId="signin-kms-help"
          label={t("kmsCredentials")}
          help={t("kmsCredentialsHelp", { profile })}
          value={kmsText}
          onInput={setKmsText}
        />
      )}
      <p class="help" id="signin-kept">
        {t("kept")}
      </p>
      <button type="submit" data-testid="signin-submit" disabled={busy}>
        {busy ? t("signingIn") : t("submit")}
      </button>
      {error && (
        <p role="alert" class="bad" data-testid="signin-error">
          ✕ {error}
        </p>
      )}
    </form>
  );
}

/** A labelled box for one pasted credentials JSON, its help and the note on where it is kept. */
function CredentialsField(props: {
  id: string;
  helpId: string;
  label: string;
  help: string;
  value: string;
  onInput: (value: string) => void;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <p class="help" id={props.helpId}>
        {props.help}
      </p>
      <textarea
        id={props.id}
        data-testid={props.id}
        aria-describedby={`${props.helpId} signin-kept`}
        rows={6}
        spellcheck={false}
        autocomplete="off"
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
        required
      />
    </>
  );
}

/** Who is signed in, until when, and the way out (header). */
export function SignedInBadge(props: { signedIn: SignedIn; onSignOut: () => void }) {
  useSignal(lang);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const { member, expiration } = props.signedIn;
  const time = expiration?.toLocaleTimeString(lang.get() === "zh" ? "zh-CN" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  });
  const left = expiration === undefined ? undefined : Math.floor((expiration.getTime() - now) / 60_000);
  return (
    <p class="signed-in" data-testid="signed-in">
      <span title={member.name}>{t("signedIn", { member: member.id })}</span>{" "}
      <span class={left !== undefined && left < 0 ? "bad" : ""} data-testid="signed-in-expiry">
        {left === undefined
          ? t("noExpiry")
          : left < 0
            ? t("expired", { time: time ?? "" })
            : t("expires", { time: time ?? "", minutes: left })}
      </span>{" "}
      <button type="button" data-testid="signout" onClick={props.onSignOut}>
        {t("signOut")}
      </button>
    </p>
  );
}

export const signInFooter = () => t("footer");
