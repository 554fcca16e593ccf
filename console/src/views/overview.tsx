import { useEffect, useMemo, useState } from "preact/hooks";
import { toHex } from "#chain";
import type { BlockView } from "../../../lib/protocol/entries.js";
import type { Api } from "../api.js";
import { lang, translator } from "../i18n/index.js";
import { overview } from "../i18n/overview.js";
import { withWebCrypto } from "../signatures.js";
import { useSignal } from "../state.js";
import { trustRoot } from "../trust.js";
import { Chart } from "./charts.js";
import { Failed, Hash, isNotFound, Time, useLoad } from "./ledger-ui.js";
import { type CheckpointSigners, checkpointSigners } from "./proof-checkpoint.js";
import type { ViewProps } from "./view.js";

const t = translator(overview);

/** Blocks the charts cover: the latest and the ones before it. */
export const RECENT_BLOCKS = 30;

interface Health {
  status: string;
  log: string;
  height: number;
  logSize: number;
  published?: { size: number; cosignatures: number; behind: number };
}

interface OverviewData {
  health: Health;
  /** The recent blocks, ascending by height (empty before the first seal). */
  blocks: BlockView[];
  /** The published checkpoint's text, if any. */
  checkpoint?: string;
}

async function loadOverview(api: Api): Promise<OverviewData> {
  const [health, latest, checkpoint] = await Promise.all([
    api.get<Health>("/v1/health"),
    api.get<BlockView>("/v1/blocks/latest").catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    }),
    api.text("/v1/log/checkpoint").catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    }),
  ]);
  const blocks: BlockView[] = [];
  if (latest) {
    const top = latest.header.height;
    const heights = [];
    for (let h = Math.max(1, top - RECENT_BLOCKS + 1); h < top; h++) heights.push(h);
    blocks.push(...(await Promise.all(heights.map((h) => api.get<BlockView>(`/v1/blocks/${h}`)))), latest);
  }
  return { health, blocks, ...(checkpoint === undefined ? {} : { checkpoint }) };
}

export function OverviewView({ api }: ViewProps) {
  const l = useSignal(lang);
  const data = useLoad(() => loadOverview(api));
  const now = useNow();

  if (data.error !== undefined) return <Failed error={data.error} retry={data.reload} />;
  const d = data.value;
  if (!d) return <p aria-busy="true">{t("title")}…</p>;

  const latest = d.blocks.at(-1);
  const lagMs = latest ? now - Date.parse(latest.header.sealedAt) : undefined;
  return (
    <section aria-labelledby="overview-title" data-testid="overview">
      <h2 id="overview-title">{t("title")}</h2>
      <div class="cards">
        <Card label={t("height")} value={String(d.health.height)} testid="height" />
        <Card label={t("logSize")} value={String(d.health.logSize)} testid="log-size" />
        <Card
          label={t("published")}
          testid="published"
          value={d.health.published ? t("published.value", { size: d.health.published.size }) : "—"}
          note={
            d.health.published
              ? t("published.behind", { behind: d.health.published.behind })
              : t("published.none")
          }
        />
        <Card
          label={t("sealLag")}
          testid="seal-lag"
          value={lagMs === undefined ? "—" : duration(lagMs)}
          note={latest ? <Time iso={latest.header.sealedAt} lang={l} /> : t("sealLag.none")}
        />
      </div>
      {d.checkpoint === undefined ? (
        <p data-testid="checkpoint-none">{t("checkpoint.none")}</p>
      ) : (
        <CheckpointPanel note={d.checkpoint} lang={l} />
      )}
      {d.blocks.length === 0 ? <p>{t("empty")}</p> : <BlockCharts blocks={d.blocks} />}
    </section>
  );
}

function Card(props: { label: string; value: string; note?: preact.ComponentChildren; testid: string }) {
  return (
    <div class="card">
      <div>{props.label}</div>
      <div class="value" data-testid={props.testid}>
        {props.value}
      </div>
      {props.note !== undefined && <div class="chart-summary">{props.note}</div>}
    </div>
  );
}

/** The clock, ticking each second, for the seal lag. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t("duration.s", { n: s });
  if (s < 3600) return t("duration.m", { m: Math.floor(s / 60), s: s % 60 });
  return t("duration.h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** The checkpoint and its signers, checked against the held trust root when there is one. */
function CheckpointPanel(props: { note: string; lang: "zh" | "en" }) {
  const held = useSignal(trustRoot);
  const [checked, setChecked] = useState<{ result?: CheckpointSigners; error?: unknown }>(() => {
    try {
      return { result: checkpointSigners(props.note, undefined, undefined) };
    } catch (error) {
      return { error };
    }
  });
  useEffect(() => {
    let live = true;
    if (!held) {
      try {
        setChecked({ result: checkpointSigners(props.note, undefined, undefined) });
      } catch (error) {
        setChecked({ error });
      }
      return;
    }
    withWebCrypto((checks) => checkpointSigners(props.note, held.root, checks), held.root.suite).then(
      (result) => live && setChecked({ result }),
      (error: unknown) => live && setChecked({ error }),
    );
    return () => {
      live = false;
    };
  }, [held, props.note]);

  if (checked.error !== undefined) return <Failed error={checked.error} />;
  const r = checked.result;
  if (!r) return null;
  const trusted = r.trusted;
  return (
    <section aria-labelledby="checkpoint-title" data-testid="checkpoint">
      <h3 id="checkpoint-title">{t("checkpoint.title")}</h3>
      <dl class="facts">
        <dt>{t("checkpoint.origin")}</dt>
        <dd>
          <code>{r.checkpoint.origin}</code>
        </dd>
        <dt>{t("checkpoint.size")}</dt>
        <dd data-testid="checkpoint-size">{r.checkpoint.size}</dd>
        <dt>{t("checkpoint.root")}</dt>
        <dd>
          <Hash value={toHex(r.checkpoint.rootHash)} />
        </dd>
      </dl>
      <p
        data-testid="checkpoint-verdict"
        data-state={trusted === undefined ? "unchecked" : trusted.ok ? "valid" : "invalid"}
        class={trusted === undefined ? "" : trusted.ok ? "proof-summary good" : "proof-summary bad"}
      >
        {trusted === undefined
          ? t("checkpoint.unchecked")
          : trusted.ok
            ? t("checkpoint.trusted", { witnessed: trusted.witnessed, quorum: trusted.quorum })
            : t("checkpoint.untrusted", {
                why: !trusted.sameLog
                  ? t("checkpoint.why.log", { origin: r.checkpoint.origin, log: held?.root.log ?? "" })
                  : !trusted.sealer
                    ? t("checkpoint.why.sealer")
                    : t("checkpoint.why.quorum", { witnessed: trusted.witnessed, quorum: trusted.quorum }),
              })}
      </p>
      <table data-testid="signers">
        <caption class="visually-hidden">{t("signers.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("signers.name")}</th>
            <th scope="col">{t("signers.role")}</th>
            <th scope="col">{t("signers.keyId")}</th>
            <th scope="col">{t("signers.state")}</th>
            <th scope="col">{t("signers.cosignedAt")}</th>
          </tr>
        </thead>
        <tbody>
          {r.signers.map((s) => (
            <tr
              key={`${s.name}+${s.keyId ?? ""}`}
              data-testid="signer"
              data-role={s.role}
              data-name={s.name}
              data-state={s.state}
            >
              <th scope="row">{s.name}</th>
              <td>{t(`role.${s.role}`)}</td>
              <td>{s.keyId ? <code>{s.keyId}</code> : "—"}</td>
              <td>
                <span
                  class={s.state === "valid" ? "badge good" : s.state === "invalid" ? "badge bad" : "badge"}
                >
                  {t(`state.${s.state}`)}
                </span>
              </td>
              <td>
                {s.timestamp !== undefined ? (
                  <Time iso={new Date(s.timestamp * 1000).toISOString()} lang={props.lang} />
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Entries per block and the seal interval over the recent blocks, each with its text alternative. */
function BlockCharts(props: { blocks: BlockView[] }) {
  useSignal(lang);
  const series = useMemo(() => {
    const heights = props.blocks.map((b) => b.header.height);
    const counts = props.blocks.map((b) => b.header.count);
    const intervals: { x: number[]; y: number[] } = { x: [], y: [] };
    for (let i = 1; i < props.blocks.length; i++) {
      const a = props.blocks[i - 1] as BlockView;
      const b = props.blocks[i] as BlockView;
      intervals.x.push(b.header.height);
      intervals.y.push(
        Math.round((Date.parse(b.header.sealedAt) - Date.parse(a.header.sealedAt)) / 100) / 10,
      );
    }
    return { heights, counts, intervals };
  }, [props.blocks]);
  const { heights, counts, intervals } = series;
  const from = heights[0] ?? 0;
  const to = heights.at(-1) ?? 0;
  const mean = intervals.y.length
    ? Math.round((intervals.y.reduce((a, b) => a + b, 0) / intervals.y.length) * 10) / 10
    : 0;
  return (
    <section aria-labelledby="charts-title">
      <h3 id="charts-title">{t("charts.title", { n: props.blocks.length })}</h3>
      <div class="charts">
        <Chart
          testid="chart-entries"
          title={t("chart.entries")}
          summary={t("chart.entries.summary", {
            from,
            to,
            min: Math.min(...counts),
            max: Math.max(...counts),
            total: counts.reduce((a, b) => a + b, 0),
          })}
          xLabel={t("chart.height")}
          yLabel={t("chart.entries.axis")}
          x={heights}
          y={counts}
          tableCaption={t("chart.table")}
          columns={[t("col.height"), t("col.entries")]}
        />
        <Chart
          testid="chart-interval"
          title={t("chart.interval")}
          summary={
            intervals.y.length === 0
              ? t("chart.interval.none")
              : t("chart.interval.summary", {
                  from: intervals.x[0] ?? 0,
                  to,
                  min: Math.min(...intervals.y),
                  max: Math.max(...intervals.y),
                  mean,
                })
          }
          xLabel={t("chart.height")}
          yLabel={t("chart.interval.axis")}
          x={intervals.x}
          y={intervals.y}
          tableCaption={t("chart.table")}
          columns={[t("col.height"), t("col.interval")]}
        />
      </div>
    </section>
  );
}
