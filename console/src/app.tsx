import { useEffect, useState } from "preact/hooks";
import { Api } from "./api.js";
import { type AwsConsoleConfig, loadConsoleConfig } from "./aws/config.js";
import { SignInError } from "./aws/errors.js";
import { forgetSession, type SignedIn, savedSession, signIn } from "./aws/session.js";
import { explainSignIn, SignedInBadge, SignInForm, signInFooter } from "./aws/sign-in.js";
import { lang, setLang, tc } from "./i18n/index.js";
import { loadLocalIdentities } from "./identity.js";
import { href, route } from "./router.js";
import { session } from "./session.js";
import { useSignal } from "./state.js";
import { TrustControl } from "./trust-control.js";
import { BlocksView } from "./views/blocks.js";
import { CitizenView } from "./views/citizen.js";
import { EntryView } from "./views/entry.js";
import { EvidenceView } from "./views/evidence.js";
import { OverviewView } from "./views/overview.js";
import { SharingView } from "./views/sharing.js";
import type { ViewProps } from "./views/view.js";

const NAV = [
  ["overview", "nav.overview"],
  ["blocks", "nav.blocks"],
  ["evidence", "nav.evidence"],
  ["sharing", "nav.sharing"],
  ["citizen", "nav.citizen"],
] as const;

/** On AWS (config.json mode "aws"): the stack's settings, and who signed in, if anyone yet. */
interface AwsMode {
  config: AwsConsoleConfig;
  signedIn?: SignedIn | undefined;
  /** Why the tab's saved sign-in no longer works. */
  error?: string | undefined;
}

export function App() {
  useSignal(lang);
  const current = useSignal(route);
  const s = useSignal(session);
  const [failed, setFailed] = useState(false);
  const [aws, setAws] = useState<AwsMode | undefined>(undefined);
  const [configError, setConfigError] = useState<string | undefined>(undefined);

  const signedIn = (config: AwsConsoleConfig, done: SignedIn) => {
    session.set({ api: done.api, identities: [done.api.identity] });
    setAws({ config, signedIn: done });
  };

  useEffect(() => {
    // config.json first: local (the demo members of `npm start`) or AWS (sign-in).
    loadConsoleConfig()
      .then(async (config) => {
        if (config.mode === "aws") {
          const saved = savedSession(new Date());
          if (!saved) return setAws({ config });
          try {
            signedIn(config, await signIn(config, saved, { explain: explainSignIn }));
          } catch (e) {
            forgetSession();
            setAws({ config, error: e instanceof SignInError ? explainSignIn(e) : String(e) });
          }
          return;
        }
        const { members } = await loadLocalIdentities();
        const saved = localStorage.getItem("zhixin.identity");
        const first =
          members.find((m) => m.id === saved) ?? members.find((m) => m.role === "auditor") ?? members[0];
        if (first) session.set({ api: new Api(first), identities: members });
      })
      .catch((e: unknown) => {
        if (e instanceof SignInError) setConfigError(explainSignIn(e));
        setFailed(true);
      });
  }, []);

  const active = current.view in VIEWS ? current.view : "overview";
  return (
    <>
      <a class="skip" href="#main">
        {tc("skip")}
      </a>
      <header class="top">
        <h1>
          <a href={href("overview")}>{tc("title")}</a>
        </h1>
        <div class="controls">
          {aws?.signedIn && (
            <SignedInBadge
              signedIn={aws.signedIn}
              onSignOut={() => {
                forgetSession();
                session.set(undefined);
                setAws({ config: aws.config });
              }}
            />
          )}
          {s && !aws && active === "citizen" && (
            // The citizen's view asks on the citizen's behalf (views/citizen.tsx): no member to pick.
            <span data-testid="identity-citizen">{tc("identity.citizen")}</span>
          )}
          {s && !aws && active !== "citizen" && (
            <label>
              {tc("identity.label")}{" "}
              <select
                data-testid="identity"
                value={s.api.identity.id}
                onChange={(e) => {
                  const id = (e.currentTarget as HTMLSelectElement).value;
                  const next = s.identities.find((m) => m.id === id);
                  if (!next) return;
                  localStorage.setItem("zhixin.identity", id);
                  session.set({ api: new Api(next), identities: s.identities });
                }}
              >
                {s.identities.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id} — {m.name} ({tc(m.role === "auditor" ? "identity.auditor" : "identity.department")}
                    )
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {tc("lang.label")}{" "}
            <select
              data-testid="lang"
              value={lang.get()}
              onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as "zh" | "en")}
            >
              <option value="zh">中文</option>
              <option value="en">English</option>
            </select>
          </label>
        </div>
        <TrustControl />
        <nav aria-label={tc("title")}>
          <ul>
            {NAV.map(([view, key]) => (
              <li key={view}>
                <a href={href(view)} aria-current={active === view ? "page" : undefined}>
                  {tc(key)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {failed && (
          <p role="alert" class="bad">
            {configError ?? tc("error.noIdentities")}
          </p>
        )}
        {aws && !s ? (
          // On AWS before sign-in: the evidence check needs no identity, the rest does.
          active === "evidence" ? (
            <EvidenceView />
          ) : (
            <SignInForm
              config={aws.config}
              error={aws.error}
              onSignedIn={(done) => signedIn(aws.config, done)}
            />
          )
        ) : s ? (
          <View name={active} params={current.params} api={s.api} />
        ) : failed ? (
          // No identity to sign with (on AWS before sign-in, or a node without local keys):
          // the evidence check needs none, it verifies offline.
          <EvidenceView />
        ) : (
          <p>{tc("loading")}</p>
        )}
      </main>
      <footer>{aws ? signInFooter() : tc("identity.local")}</footer>
    </>
  );
}

const VIEWS: Record<string, (props: ViewProps) => preact.JSX.Element> = {
  overview: OverviewView,
  blocks: BlocksView,
  entries: EntryView,
  evidence: EvidenceView,
  sharing: SharingView,
  citizen: CitizenView,
};

function View(props: { name: string; params: string[]; api: Api }) {
  const Component = VIEWS[props.name] ?? OverviewView;
  // Keyed by identity and route: a switch of either starts the view afresh.
  return <Component key={`${props.api.identity.id}|${props.name}|${props.params.join("/")}`} {...props} />;
}
