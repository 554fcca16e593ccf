import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { VerifiedEvidence } from "../../../lib/evidence/bundle.js";
import { EvidenceError, type EvidenceErrorCode } from "../../../lib/evidence/errors.js";
import { witnessNames } from "../../../lib/witness/index.js";
import { evidence } from "../i18n/evidence.js";
import { lang, translator } from "../i18n/index.js";
import { withWebCrypto } from "../signatures.js";
import { useSignal } from "../state.js";
import { holdChosenTrustRoot, trustRoot } from "../trust.js";
import { checkEvidence, type DroppedFile, type EvidenceOutcome, sortDropped } from "./evidence-check.js";
import { EVIDENCE_REFUSALS } from "./evidence-refusals.js";
import type { ViewProps } from "./view.js";
import "./evidence.css";

/**
 * The evidence check (S6, #/evidence): the user drops — or chooses, by keyboard — an
 * evidence bundle and, optionally, the original file; the page checks them with
 * lib/evidence and WebCrypto against the trust root the user holds (views/evidence-check.ts)
 * and says in plain words what is proven, or why not. It never calls the API: the bundle
 * and the file are the user's, and the server is the party whose word is being checked.
 */

const t = translator(evidence);

type Checked = { outcome: EvidenceOutcome; witnesses: number } | { failed: string };

export function EvidenceView(_props: Partial<ViewProps>) {
  const language = useSignal(lang);
  const held = useSignal(trustRoot);
  const [bundle, setBundle] = useState<DroppedFile | undefined>();
  const [original, setOriginal] = useState<DroppedFile | undefined>();
  const [field, setField] = useState("sha256");
  const [checked, setChecked] = useState<Checked | "checking" | undefined>();
  const [dropNote, setDropNote] = useState<{ noBundle: boolean; ignored: string[] } | undefined>();
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    if (bundle === undefined || held === undefined) {
      setChecked(undefined);
      return;
    }
    let live = true;
    setChecked("checking");
    const witnesses = witnessNames(held.root.witnesses).length;
    checkEvidence(bundle.bytes, held.root, withWebCrypto, {
      ...(original ? { file: original.bytes } : {}),
      field: field.trim() || "sha256",
    }).then(
      (outcome) => live && setChecked({ outcome, witnesses }),
      (e: unknown) => live && setChecked({ failed: (e as Error).message }),
    );
    return () => {
      live = false;
    };
  }, [bundle, original, field, held]);

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = await Promise.all([...(e.dataTransfer?.files ?? [])].map(readDropped));
    const sorted = sortDropped(files);
    if (sorted.bundle) setBundle(sorted.bundle);
    if (sorted.original) setOriginal(sorted.original);
    setDropNote({
      noBundle: sorted.bundle === undefined && bundle === undefined,
      ignored: sorted.ignored.map((f) => f.name),
    });
  };

  return (
    <section class="evidence" lang={language === "zh" ? "zh-CN" : "en"}>
      <h2>{t("title")}</h2>
      <p>{t("intro")}</p>
      <TrustRootPanel />
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the file inputs inside are its keyboard way */}
      <div
        class={dragging ? "drop dragging" : "drop"}
        data-testid="evidence-drop"
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>{dragging ? t("drop.active") : t("drop.label")}</p>
        <FileChoice
          label={t("bundle.input")}
          testid="evidence-bundle-file"
          accept=".json,application/json"
          chosen={bundle}
          onChoose={(f) => {
            setBundle(f);
            setDropNote(undefined);
          }}
        />
        <FileChoice
          label={t("original.input")}
          testid="evidence-original-file"
          chosen={original}
          onChoose={setOriginal}
        />
        <label class="field">
          {t("field.input")}{" "}
          <input
            type="text"
            data-testid="evidence-field"
            value={field}
            spellcheck={false}
            onChange={(e) => setField((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
      </div>
      {dropNote?.noBundle && (
        <p class="bad" role="alert">
          {t("drop.noBundle")}
        </p>
      )}
      {dropNote && dropNote.ignored.length > 0 && (
        <p>{t("drop.ignored", { names: dropNote.ignored.join(", ") })}</p>
      )}
      <div aria-live="polite">
        <Result checked={checked} waitingFor={held === undefined ? "root" : "bundle"} />
      </div>
    </section>
  );
}

async function readDropped(file: File): Promise<DroppedFile> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function FileChoice(props: {
  label: string;
  testid: string;
  accept?: string;
  chosen: DroppedFile | undefined;
  onChoose: (file: DroppedFile | undefined) => void;
}) {
  return (
    <div class="choice">
      <label>
        {props.label}{" "}
        <input
          type="file"
          data-testid={props.testid}
          {...(props.accept ? { accept: props.accept } : {})}
          onChange={async (e) => {
            const input = e.currentTarget as HTMLInputElement;
            const file = input.files?.[0];
            if (file) props.onChoose(await readDropped(file));
            input.value = ""; // the chosen file is named beside; choosing the same file again re-reads it
          }}
        />
      </label>
      {props.chosen && (
        <span class="chosen" data-testid={`${props.testid}-chosen`}>
          {t("chosen", { name: props.chosen.name, bytes: props.chosen.bytes.length })}{" "}
          <button
            type="button"
            class="secondary"
            aria-label={`${t("remove")}: ${props.chosen.name}`}
            onClick={() => props.onChoose(undefined)}
          >
            {t("remove")}
          </button>
        </span>
      )}
    </div>
  );
}

/** Which trust root the check uses; without one, the same file input as the header's. */
function TrustRootPanel() {
  const held = useSignal(trustRoot);
  const [error, setError] = useState<{ code: EvidenceErrorCode; message: string } | undefined>();
  if (held)
    return (
      <p class="root" data-testid="evidence-root">
        {t("root.held", { log: held.root.log, name: held.name })}
      </p>
    );
  return (
    <div class="root none" data-testid="evidence-root">
      <p>
        <span aria-hidden="true">⚠ </span>
        {t("root.none")}
      </p>
      <label>
        {t("root.input")}{" "}
        <input
          type="file"
          accept=".json,application/json"
          data-testid="evidence-trust-root-file"
          onChange={async (e) => {
            try {
              if (await holdChosenTrustRoot(e.currentTarget as HTMLInputElement)) setError(undefined);
            } catch (err) {
              if (!(err instanceof EvidenceError)) throw err;
              setError({ code: err.code, message: err.message });
            }
          }}
        />
      </label>
      {error && (
        <p class="bad" role="alert">
          ✘ <code>{error.code}</code> {refusalText(error.code)} ({error.message})
        </p>
      )}
    </div>
  );
}

function refusalText(code: EvidenceErrorCode): string {
  return EVIDENCE_REFUSALS[code][lang.get()];
}

function Result(props: { checked: Checked | "checking" | undefined; waitingFor: "root" | "bundle" }) {
  const { checked } = props;
  if (checked === undefined)
    return (
      <p data-testid="evidence-waiting">
        {t(props.waitingFor === "root" ? "waiting.root" : "waiting.bundle")}
      </p>
    );
  if (checked === "checking") return <p data-testid="evidence-checking">{t("checking")}</p>;
  if ("failed" in checked)
    return (
      <p class="bad" role="alert" data-testid="evidence-result" data-verdict="failed">
        ✘ {t("failed", { message: checked.failed })}
      </p>
    );
  const { outcome, witnesses } = checked;
  if (outcome.verdict === "verified")
    return (
      <section class="result verified" data-testid="evidence-result" data-verdict="verified">
        <h3>
          <span class="badge good">{t("verified")}</span>
        </h3>
        <p class="sentence" data-testid="evidence-sentence">
          {sentence(outcome.proven, witnesses, outcome.file ? "file" : "record")}
        </p>
        <p data-testid="evidence-file">{outcome.file ? t("file.matched", outcome.file) : t("file.none")}</p>
        <Caveat proven={outcome.proven} />
        <Details proven={outcome.proven} open />
      </section>
    );
  return (
    <section
      class="result refused"
      data-testid="evidence-result"
      data-verdict="refused"
      data-code={outcome.code}
      role="alert"
    >
      <h3>
        <span class="badge bad">{t("refused")}</span>
      </h3>
      <p class="sentence" data-testid="evidence-refusal">
        {refusalText(outcome.code)}
      </p>
      <dl>
        <dt>{t("refusal.code")}</dt>
        <dd>
          <code data-testid="evidence-code">{outcome.code}</code>
        </dd>
        <dt>{t("refusal.detail")}</dt>
        <dd>
          <code>{outcome.message}</code>
        </dd>
        {outcome.pointer !== null && (
          <>
            <dt>{t("refusal.where")}</dt>
            <dd>
              <code>{outcome.pointer}</code>
            </dd>
          </>
        )}
      </dl>
      {outcome.proven && (
        <>
          <p data-testid="evidence-bundle-holds">
            {t("bundle.holds", {
              id: outcome.proven.entry.id,
              writer: outcome.proven.entry.writer,
              receivedAt: outcome.proven.entry.receivedAt,
            })}
          </p>
          <Details proven={outcome.proven} />
        </>
      )}
    </section>
  );
}

/** "This file was recorded by internet-court at …, signed with key …, …" (the CLI's provenSentence, in zh and en). */
function sentence(proven: VerifiedEvidence, witnesses: number, what: "file" | "record"): string {
  const key =
    what === "file"
      ? "sentence.file"
      : proven.entry.kind === "access"
        ? "sentence.access"
        : "sentence.record";
  return t(key, {
    type: proven.entry.type,
    writer: proven.entry.writer,
    receivedAt: proven.entry.receivedAt,
    keyId: proven.signingKey.keyId,
    index: proven.entry.logIndex,
    size: proven.checkpoint.size,
    witnessed: proven.checkpoint.witnesses.length,
    witnesses,
    needed: proven.checkpoint.minWitnesses,
  });
}

/** lib/evidence's caveat, translated; a caveat this view does not know is shown as lib/evidence wrote it. */
function Caveat({ proven }: { proven: VerifiedEvidence }) {
  return (
    <div class="caveat" data-testid="evidence-caveat">
      <h4>
        <span aria-hidden="true">⚠ </span>
        {t("caveat.title")}
      </h4>
      <p>{proven.caveat === evidence.en.caveat ? t("caveat") : proven.caveat}</p>
    </div>
  );
}

function Details({ proven, open = false }: { proven: VerifiedEvidence; open?: boolean }) {
  const { entry, checkpoint, signingKey: key } = proven;
  const rows: Array<[string, JSX.Element | string]> = [
    [t("d.entry"), <code key="id">{entry.id}</code>],
    [t("d.type"), entry.type],
    [t("d.writer"), entry.writer],
    [t("d.receivedAt"), entry.receivedAt],
    [t("d.signedAt"), entry.signedAt === null ? t("d.none") : isoSeconds(entry.signedAt)],
    [t("d.position"), t("d.positionValue", { index: entry.logIndex, size: checkpoint.size })],
    [t("d.root"), <code key="root">{checkpoint.rootHash}</code>],
    [
      t("d.witnesses"),
      checkpoint.witnesses.length === 0 ? (
        t("d.none")
      ) : (
        <ul key="w">
          {checkpoint.witnesses.map((w) => (
            <li key={w.name}>{t("d.witnessAt", { name: w.name, time: isoSeconds(w.timestamp) })}</li>
          ))}
        </ul>
      ),
    ],
    [
      t("d.key"),
      [
        t("d.keyValue", { keyId: key.keyId, alg: key.alg, validFrom: key.validFrom }),
        ...(key.validUntil ? [t("d.keyUntil", { time: key.validUntil })] : []),
        ...(key.compromisedSince ? [t("d.keyCompromised", { time: key.compromisedSince })] : []),
      ].join("; "),
    ],
    [t("d.keyRecords"), String(proven.keyRecords.length)],
    [t("d.digest"), <code key="digest">{entry.contentDigest}</code>],
    [
      t("d.payload"),
      proven.payload === null ? (
        t("d.withheld")
      ) : (
        <pre key="payload">{JSON.stringify(proven.payload.data, null, 2)}</pre>
      ),
    ],
  ];
  return (
    <details class="evidence-details" open={open}>
      <summary>{t("details.title")}</summary>
      <dl data-testid="evidence-details">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Unix seconds as RFC 3339 UTC. */
function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}
