import { useEffect, useState } from "preact/hooks";
import {
  blockHeaderBytes,
  type CryptoSuite,
  fromBase64,
  genesisCryptoSuite,
  INTL,
  parseCheckpoint,
  parseSignedNote,
  recordedKeyOf,
  toHex,
} from "#chain";
import { openTrustedCheckpoint } from "../../../lib/evidence/trust-root.js";
import type { BlockEntriesView } from "../../../lib/protocol/block-entries.js";
import type { EntryView as ApiEntry, BlockView } from "../../../lib/protocol/entries.js";
import type { Api } from "../api.js";
import { entry as messages } from "../i18n/entry.js";
import { lang, translator } from "../i18n/index.js";
import { href } from "../router.js";
import { type SignatureChecks, withWebCrypto } from "../signatures.js";
import { useSignal } from "../state.js";
import { type HeldTrustRoot, trustRoot } from "../trust.js";
import { Failed, isNotFound, Time, useLoad } from "./ledger-ui.js";
import { ProofDiagram } from "./proof.js";
import { type ProofInput, type ProofStep, proofSteps } from "./proof-steps.js";
import type { ViewProps } from "./view.js";

const t = translator(messages);

/** What the proof needs besides the entry: its block's committed leaf and the published log. */
interface EntryData {
  view: ApiEntry;
  /** The suite the ledger's genesis block records; undefined before there is a block. */
  suite?: CryptoSuite;
  /** The leaf the block's pages hold at the entry's position. */
  committedLeaf?: string;
  published?: { note: string; size: number; root: string; proof?: string[] };
}

/** The suite each ledger's genesis block records: read once per Api, as a genesis block never changes. */
const genesisSuites = new WeakMap<Api, CryptoSuite>();

/** The ledger's suite from its genesis block (GET /v1/blocks/1); undefined while it has no block. */
async function ledgerSuite(api: Api): Promise<CryptoSuite | undefined> {
  const known = genesisSuites.get(api);
  if (known !== undefined) return known;
  const genesis = await api.get<BlockView>("/v1/blocks/1").catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  // No block yet: asked again next time, when there may be one.
  if (genesis === undefined) return undefined;
  const suite = genesisCryptoSuite(genesis.header);
  genesisSuites.set(api, suite);
  return suite;
}

/**
 * GET /v1/entries/{id}; once sealed, the leaf its block holds at its position
 * (GET /v1/blocks/{h}/entries?start=<position>), the published checkpoint
 * (GET /v1/log/checkpoint) and, when it covers the entry, the entry's inclusion proof in it
 * (GET /v1/log/proof/inclusion): the same routes `zhixin show` and `zhixin verify` use.
 */
async function loadEntry(api: Api, id: string): Promise<EntryData> {
  const [view, suite] = await Promise.all([
    api.get<ApiEntry>(`/v1/entries/${encodeURIComponent(id)}`),
    ledgerSuite(api),
  ]);
  const sealed = view.sealed;
  if (!sealed) return suite === undefined ? { view } : { view, suite };
  const [part, note] = await Promise.all([
    api.get<BlockEntriesView>(`/v1/blocks/${sealed.height}/entries`, { start: sealed.index }),
    api.text("/v1/log/checkpoint").catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    }),
  ]);
  const data: EntryData = suite === undefined ? { view } : { view, suite };
  const leaf = part.start === sealed.index ? part.entries[0] : undefined;
  if (leaf) data.committedLeaf = leaf.leafHash;
  if (note !== undefined) {
    const checkpoint = parseCheckpoint(parseSignedNote(note).text);
    data.published = { note, size: checkpoint.size, root: toHex(checkpoint.rootHash) };
    if (sealed.logIndex < checkpoint.size) {
      const { proof } = await api.get<{ proof: string[] }>("/v1/log/proof/inclusion", {
        index: sealed.logIndex,
        size: checkpoint.size,
      });
      data.published.proof = proof;
    }
  }
  return data;
}

/** The steps, with the signatures answered by WebCrypto against the held trust root (none without one). */
function stepsFor(data: EntryData, held: HeldTrustRoot | undefined, checks?: SignatureChecks): ProofStep[] {
  const { view } = data;
  // The trust root's suite when one is held (a genesis block saying otherwise then breaks
  // at the leaf), else the genesis block's; a ledger with no block yet is read as intl.
  const suite = held?.root.suite ?? data.suite ?? INTL;
  const input: ProofInput = { suite, envelope: view.envelope, reportedLeaf: view.leafHash };
  if (view.payload !== undefined) input.payload = view.payload;
  const sealed = view.sealed;
  if (sealed) {
    input.block = {
      header: sealed.block.header,
      hash: sealed.block.hash,
      index: sealed.index,
      proof: sealed.proof,
    };
    if (data.committedLeaf !== undefined) input.block.committedLeaf = data.committedLeaf;
    if (held && checks) input.block.signatureValid = sealerSigned(sealed.block, held, checks);
    const p = data.published;
    if (p?.proof) {
      input.log = { index: sealed.logIndex, size: p.size, root: p.root, proof: p.proof };
      if (held && checks) input.log.checkpointValid = checkpointHolds(p.note, held, checks);
    }
  }
  return proofSteps(input);
}

/** The block header's signature by one of the trust root's sealer keys (Ed25519 over the header bytes). */
function sealerSigned(block: BlockView, held: HeldTrustRoot, checks: SignatureChecks): boolean {
  if (block.signature.alg !== "ed25519") return false;
  let signature: Uint8Array;
  try {
    signature = fromBase64(block.signature.value);
  } catch {
    return false;
  }
  const message = blockHeaderBytes(block.header);
  return held.root.sealers.some((k) => {
    const { alg, spki } = recordedKeyOf(k);
    return checks.verifySignature(alg, spki, message, signature);
  });
}

/** lib/evidence openTrustedCheckpoint: the sealer's signature and the witness quorum of the trust root. */
function checkpointHolds(note: string, held: HeldTrustRoot, checks: SignatureChecks): boolean {
  try {
    return openTrustedCheckpoint(note, held.root, checks).quorum.ok;
  } catch {
    return false;
  }
}

export function EntryView({ api, params }: ViewProps) {
  const l = useSignal(lang);
  const id = params[0] ?? "";
  const data = useLoad(() => loadEntry(api, id));
  if (data.error !== undefined) {
    return isNotFound(data.error) ? (
      <p role="alert">{t("notFound", { id })}</p>
    ) : (
      <Failed error={data.error} retry={data.reload} />
    );
  }
  const d = data.value;
  if (!d) return <p aria-busy="true">{t("title", { id })}…</p>;
  const { view } = d;
  const e = view.envelope;
  return (
    <section aria-labelledby="entry-title" data-testid="entry" data-status={view.status}>
      <h2 id="entry-title">{t("title", { id: view.id })}</h2>
      <dl class="facts">
        <dt>{t("writer")}</dt>
        <dd data-testid="entry-writer">{e.dept}</dd>
        <dt>{t("keyId")}</dt>
        <dd>
          <code>{e.keyId}</code> ({e.alg})
        </dd>
        <dt>{t("type")}</dt>
        <dd data-testid="entry-type">{e.type}</dd>
        <dt>{t("receivedAt")}</dt>
        <dd data-testid="entry-received">
          <Time iso={e.receivedAt} lang={l} />
        </dd>
        <dt>{t("status")}</dt>
        <dd data-testid="entry-status">
          <span class={`badge ${view.status === "sealed" ? "good" : ""}`}>{t(`status.${view.status}`)}</span>
        </dd>
        {view.sealed && (
          <>
            <dt>{t("block")}</dt>
            <dd>
              <a href={href("blocks", view.sealed.height)}>{view.sealed.height}</a>
            </dd>
            <dt>{t("position")}</dt>
            <dd>{view.sealed.index}</dd>
            <dt>{t("logIndex")}</dt>
            <dd>{view.sealed.logIndex}</dd>
          </>
        )}
      </dl>
      <h3>{t("payload")}</h3>
      {view.payload !== undefined ? (
        <pre class="payload" data-testid="entry-payload">
          {JSON.stringify(view.payload, null, 2)}
        </pre>
      ) : (
        <p>{t("payload.withheld")}</p>
      )}
      <h3>{t("proof.title")}</h3>
      <p>{t("proof.intro")}</p>
      <Proof data={d} />
    </section>
  );
}

/** Recomputes the proof, and again whenever the trust root changes. */
function Proof({ data }: { data: EntryData }) {
  const held = useSignal(trustRoot);
  const [result, setResult] = useState<{ steps?: ProofStep[]; trusted: boolean; error?: unknown }>({
    trusted: false,
  });
  useEffect(() => {
    let live = true;
    const run = held
      ? withWebCrypto((checks) => stepsFor(data, held, checks), held.root.suite)
      : Promise.resolve().then(() => stepsFor(data, undefined));
    run.then(
      (steps) => live && setResult({ steps, trusted: held !== undefined }),
      (error: unknown) => live && setResult({ error, trusted: held !== undefined }),
    );
    return () => {
      live = false;
    };
  }, [data, held]);
  if (result.error !== undefined) return <Failed error={result.error} />;
  if (!result.steps) return <p aria-busy="true">{t("proof.loading")}</p>;
  const sealed = data.view.sealed;
  return (
    <ProofDiagram
      steps={result.steps}
      context={{
        trusted: result.trusted,
        ...(sealed ? { index: sealed.index, height: sealed.height } : {}),
        ...(data.published ? { logSize: data.published.size } : {}),
      }}
    />
  );
}
