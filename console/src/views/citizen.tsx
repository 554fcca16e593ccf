import { useState } from "preact/hooks";
import type { ContractView } from "../../../lib/protocol/contracts.js";
import type { AccessTrail, TrailAccess } from "../../../lib/protocol/sharing.js";
import { Api } from "../api.js";
import { citizen } from "../i18n/citizen.js";
import { lang, translator } from "../i18n/index.js";
import { href } from "../router.js";
import { session } from "../session.js";
import { useSignal } from "../state.js";
import { trustRoot } from "../trust.js";
import { Failure, formatTime, inclusionOf, ResultLabel, useLoad } from "./sharing-ui.js";
import type { ViewProps } from "./view.js";
import "./sharing.css";
import { INTL } from "#chain";

/**
 * #/citizen: a citizen's own trail (S1, S3) — every recorded question about them: which
 * department asked, under which contract, when, answered or refused, with the entry's
 * inclusion in its block checked here. Nothing else about them is shown.
 *
 * Who asks: the API answers a subject's trail to the provider, the consumer and auditors
 * (docs/API.md). Locally the page signs POST /v1/access as the consortium's auditor on the
 * citizen's behalf, after a demo sign-in that proves nothing (the label says so). On AWS
 * the same request comes from a portal behind the government's identity provider, which
 * verifies the citizen's ID token and asks with an auditor-role key (docs/CONSOLE.md).
 *
 * The ID stays in this component's memory: never in the route, the URL, localStorage or
 * a log line; it travels once, in a signed POST body.
 */

const t = translator(citizen);

/** IDs the walkthroughs use (README, docs/walkthroughs): demo citizens, not people. */
const DEMO_CITIZENS = ["460100199001011234", "460100198805051234", "460100199202021234"];
const MAX_SUBJECT_BYTES = 256;

/** "4601**********1234": enough to tell demo citizens apart, not the whole ID on screen. */
export function maskId(id: string): string {
  return id.length > 8
    ? `${id.slice(0, 4)}${"*".repeat(id.length - 8)}${id.slice(-4)}`
    : "*".repeat(id.length);
}

export function CitizenView(props: ViewProps) {
  useSignal(lang);
  const [subject, setSubject] = useState<string | undefined>(undefined);
  // Signed in on AWS (SigV4 transport): the demo sign-in does not exist there; a citizen's
  // trail is the government's portal's to serve (docs/CONSOLE.md "A citizen's own trail").
  const onAws = props.api.transport !== undefined;
  return (
    <section class="citizen" aria-labelledby="citizen-title">
      <h2 id="citizen-title">{t("title")}</h2>
      <p>{t("intro")}</p>
      {onAws ? (
        <p role="note" data-testid="citizen-portal">
          {t("portal")}
        </p>
      ) : subject === undefined ? (
        <SignIn onSignIn={setSubject} />
      ) : (
        <>
          <p data-testid="citizen-signed-in">
            {t("signedIn", { masked: maskId(subject) })}{" "}
            <button type="button" data-testid="citizen-signout" onClick={() => setSubject(undefined)}>
              {t("signout")}
            </button>
          </p>
          <p class="note">{t("privacy")}</p>
          <Trail subject={subject} />
        </>
      )}
    </section>
  );
}

function SignIn({ onSignIn }: { onSignIn: (subject: string) => void }) {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const submit = (e: Event) => {
    e.preventDefault();
    const id = typed.trim();
    if (id === "") return setProblem(t("signin.empty"));
    if (new TextEncoder().encode(id).length > MAX_SUBJECT_BYTES) return setProblem(t("signin.tooLong"));
    onSignIn(id);
  };
  return (
    <section class="citizen-signin" aria-labelledby="signin-title">
      <h3 id="signin-title" class="demo-label">
        <span aria-hidden="true">⚠</span> {t("signin.title")}
      </h3>
      <p>{t("signin.explain")}</p>
      <form onSubmit={submit}>
        <label>
          {t("signin.id")}{" "}
          <input
            data-testid="citizen-id"
            type="text"
            autocomplete="off"
            spellcheck={false}
            value={typed}
            onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)}
            aria-invalid={problem ? "true" : undefined}
            aria-describedby={problem ? "signin-problem" : undefined}
          />
        </label>{" "}
        <button type="submit" data-testid="citizen-submit">
          {t("signin.submit")}
        </button>
        {problem && (
          <p id="signin-problem" role="alert" class="bad">
            ✕ {problem}
          </p>
        )}
      </form>
      <h4>{t("signin.demo")}</h4>
      <ul>
        {DEMO_CITIZENS.map((id) => (
          <li key={id}>
            <button type="button" data-testid="demo-citizen" onClick={() => onSignIn(id)}>
              {t("signin.pick", { masked: maskId(id) })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface CitizenTrail {
  auditor: string;
  trail: AccessTrail;
  /** The contracts the trail names, as GET /v1/contracts/{id} shows them (absent: never proposed). */
  contracts: Map<string, ContractView>;
}

/** POST /v1/access as the consortium's auditor (one of the session's identities, locally), then the contracts it names. */
async function loadTrail(subject: string): Promise<CitizenTrail | "no-auditor"> {
  const auditor = session.get()?.identities.find((m) => m.role === "auditor");
  if (!auditor) return "no-auditor";
  const api = new Api(auditor);
  const trail = await api.post<AccessTrail>("/v1/access", { subject });
  const ids = [...new Set(trail.accesses.filter((a) => a.access.provider).map((a) => a.access.contract))];
  const views = await Promise.all(
    ids.map((id) => api.get<ContractView>(`/v1/contracts/${encodeURIComponent(id)}`)),
  );
  return { auditor: auditor.id, trail, contracts: new Map(views.map((v) => [v.id, v])) };
}

function Trail({ subject }: { subject: string }) {
  const loaded = useLoad(() => loadTrail(subject));
  if (loaded.state === "loading") return <p aria-busy="true">…</p>;
  if (loaded.state === "failed") return <Failure error={loaded.error} />;
  if (loaded.value === "no-auditor")
    return (
      <p role="alert" class="bad">
        ✕ {t("noAuditor")}
      </p>
    );
  const { auditor, trail, contracts } = loaded.value;
  return (
    <section data-testid="citizen-trail" aria-live="polite">
      <p>{t("onBehalf", { auditor })}</p>
      <p data-testid="citizen-count">
        {trail.accesses.length === 0 ? t("none") : t("count", { n: trail.accesses.length })}
      </p>
      {trail.truncated && <p role="note">{t("truncated")}</p>}
      {trail.accesses.length > 0 && (
        <table>
          <caption>{t("caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("col.when")}</th>
              <th scope="col">{t("col.who")}</th>
              <th scope="col">{t("col.contract")}</th>
              <th scope="col">{t("col.result")}</th>
              <th scope="col">{t("col.proof")}</th>
            </tr>
          </thead>
          <tbody>
            {trail.accesses.map((a) => (
              <Row key={a.entry.id} access={a} contract={contracts.get(a.access.contract)} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Row({ access: a, contract }: { access: TrailAccess; contract: ContractView | undefined }) {
  // The held trust root's suite; without one, the page reads the ledger as intl (gm
  // ledgers in the console: README, "Not built").
  const held = useSignal(trustRoot);
  const proof = inclusionOf(held?.root.suite ?? INTL, a.entry);
  const purpose = contract?.versions.find((v) => v.version === a.access.version)?.doc.purpose;
  return (
    <tr data-testid="citizen-access" data-entry={a.entry.id}>
      <td>{formatTime(a.entry.envelope.receivedAt)}</td>
      <td>{a.consumer}</td>
      <td>
        <code>{a.access.contract}</code>
        {contract ? purpose && <div>{purpose}</div> : <div>{t("contract.unknown")}</div>}
      </td>
      <td>
        <ResultLabel access={a.access} />
      </td>
      <td>
        {proof.state === "holds" && (
          <span class="citizen-proof-holds" data-proof="holds">
            <span aria-hidden="true">✓</span> {t("proof.holds", { height: proof.height, index: proof.index })}
          </span>
        )}
        {proof.state === "pending" && <span data-proof="pending">… {t("proof.pending")}</span>}
        {proof.state === "broken" && (
          <span class="citizen-proof-broken" data-proof="broken">
            <span aria-hidden="true">✕</span> {t("proof.broken", { reason: proof.reason })}
          </span>
        )}{" "}
        <a href={href("entries", a.entry.id)}>{t("proof.open")}</a>
      </td>
    </tr>
  );
}
