import { useState } from "preact/hooks";
import type { BlockEntriesView, BlockLeafView } from "../../../lib/protocol/block-entries.js";
import type { BlockView } from "../../../lib/protocol/entries.js";
import type { Api } from "../api.js";
import { blocks as messages } from "../i18n/blocks.js";
import { lang, translator } from "../i18n/index.js";
import { href } from "../router.js";
import { useSignal } from "../state.js";
import { Failed, Hash, isNotFound, ShortHash, Time, useLoad } from "./ledger-ui.js";
import type { ViewProps } from "./view.js";
import "./ledger.css";

const t = translator(messages);

/** Blocks a page of the list shows. */
const PAGE = 20;

/** #/blocks: the chain, newest first, a page at a time; #/blocks/<height>: one block and its entries. */
export function BlocksView({ api, params }: ViewProps) {
  useSignal(lang);
  const height = params[0];
  if (height !== undefined && /^[1-9][0-9]{0,15}$/.test(height)) {
    return <BlockDetail api={api} height={Number(height)} />;
  }
  return <BlockList api={api} />;
}

/** Pages back from the latest block: each "older" loads the PAGE blocks below the lowest shown. */
function BlockList({ api }: { api: Api }) {
  const l = useSignal(lang);
  const [pages, setPages] = useState<BlockView[][]>([]);
  const [more, setMore] = useState<{ loading: boolean; error?: unknown }>({ loading: false });
  const first = useLoad(async () => {
    const latest = await api.get<BlockView>("/v1/blocks/latest").catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    return latest ? [latest, ...(await below(api, latest.header.height, PAGE - 1))] : [];
  });

  if (first.error !== undefined) return <Failed error={first.error} retry={first.reload} />;
  if (!first.value) return <p aria-busy="true">{t("title")}…</p>;
  const shown = [...first.value, ...pages.flat()];
  if (shown.length === 0) return <p>{t("empty")}</p>;
  const lowest = shown.at(-1)?.header.height ?? 1;

  return (
    <section aria-labelledby="blocks-title">
      <h2 id="blocks-title">{t("title")}</h2>
      <table data-testid="block-list">
        <caption class="visually-hidden">{t("list.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("col.height")}</th>
            <th scope="col">{t("col.sealedAt")}</th>
            <th scope="col">{t("col.entries")}</th>
            <th scope="col">{t("col.hash")}</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((b) => (
            <tr key={b.hash} data-testid="block-row" data-height={b.header.height}>
              <th scope="row">
                <a href={href("blocks", b.header.height)}>{b.header.height}</a>
              </th>
              <td>
                <Time iso={b.header.sealedAt} lang={l} />
              </td>
              <td>{b.header.count}</td>
              <td>
                <ShortHash value={b.hash} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {more.error !== undefined && <Failed error={more.error} />}
      {lowest > 1 && (
        <div class="pager">
          <button
            type="button"
            data-testid="blocks-older"
            disabled={more.loading}
            onClick={async () => {
              setMore({ loading: true });
              try {
                const next = await below(api, lowest, PAGE);
                setPages((p) => [...p, next]);
                setMore({ loading: false });
              } catch (error) {
                setMore({ loading: false, error });
              }
            }}
          >
            {t("older")}
          </button>
        </div>
      )}
    </section>
  );
}

/** Up to `n` blocks below `height`, descending. */
async function below(api: Api, height: number, n: number): Promise<BlockView[]> {
  const heights: number[] = [];
  for (let h = height - 1; h >= 1 && heights.length < n; h--) heights.push(h);
  return Promise.all(heights.map((h) => api.get<BlockView>(`/v1/blocks/${h}`)));
}

function BlockDetail({ api, height }: { api: Api; height: number }) {
  const l = useSignal(lang);
  const block = useLoad(() => api.get<BlockView>(`/v1/blocks/${height}`));
  if (block.error !== undefined) {
    return isNotFound(block.error) ? (
      <p role="alert">{t("notFound", { height })}</p>
    ) : (
      <Failed error={block.error} retry={block.reload} />
    );
  }
  const b = block.value;
  if (!b) return <p aria-busy="true">{t("block.title", { height })}…</p>;
  const h = b.header;
  return (
    <section aria-labelledby="block-title" data-testid="block" data-height={h.height}>
      <h2 id="block-title">{t("block.title", { height: h.height })}</h2>
      <nav class="pager" aria-label={t("title")}>
        {h.height > 1 && (
          <a href={href("blocks", h.height - 1)}>{t("block.previous", { height: h.height - 1 })}</a>
        )}
        <a href={href("blocks")}>{t("block.all")}</a>
        <a href={href("blocks", h.height + 1)}>{t("block.next", { height: h.height + 1 })}</a>
      </nav>
      <h3>{t("block.header")}</h3>
      <dl class="facts">
        <dt>{t("block.hash")}</dt>
        <dd>
          <Hash value={b.hash} testid="block-hash" />
        </dd>
        <dt>{t("block.prev")}</dt>
        <dd>{h.height > 1 ? <Hash value={h.prev} /> : t("block.genesis")}</dd>
        <dt>{t("block.root")}</dt>
        <dd>
          <Hash value={h.root} />
        </dd>
        <dt>{t("block.count")}</dt>
        <dd data-testid="block-count">{h.count}</dd>
        <dt>{t("block.first")}</dt>
        <dd>{h.first}</dd>
        <dt>{t("block.logSize")}</dt>
        <dd>{h.logSize}</dd>
        <dt>{t("block.logRoot")}</dt>
        <dd>
          <Hash value={h.logRoot} />
        </dd>
        <dt>{t("block.sealedAt")}</dt>
        <dd>
          <Time iso={h.sealedAt} lang={l} />
        </dd>
        <dt>{t("block.sealer")}</dt>
        <dd>
          <code>{b.signature.keyId}</code> ({b.signature.alg})
        </dd>
      </dl>
      <BlockEntries api={api} height={h.height} />
    </section>
  );
}

/** The block's leaves in parts (GET /v1/blocks/{h}/entries), each linking to its entry. */
function BlockEntries({ api, height }: { api: Api; height: number }) {
  const l = useSignal(lang);
  const [parts, setParts] = useState<BlockEntriesView[]>([]);
  const [more, setMore] = useState<{ loading: boolean; error?: unknown }>({ loading: false });
  const first = useLoad(() => api.get<BlockEntriesView>(`/v1/blocks/${height}/entries`));
  if (first.error !== undefined) return <Failed error={first.error} retry={first.reload} />;
  if (!first.value) return <p aria-busy="true">{t("block.entries")}…</p>;
  const all = [first.value, ...parts];
  const leaves: Array<BlockLeafView & { position: number }> = all.flatMap((p) =>
    p.entries.map((e, i) => ({ ...e, position: p.start + i })),
  );
  const next = all.at(-1)?.next ?? null;
  return (
    <section aria-labelledby="block-entries-title">
      <h3 id="block-entries-title">{t("block.entries")}</h3>
      <table data-testid="block-entries">
        <caption class="visually-hidden">{t("entries.caption", { height })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("col.position")}</th>
            <th scope="col">{t("col.id")}</th>
            <th scope="col">{t("col.type")}</th>
            <th scope="col">{t("col.writer")}</th>
            <th scope="col">{t("col.receivedAt")}</th>
            <th scope="col">{t("col.payload")}</th>
          </tr>
        </thead>
        <tbody>
          {leaves.map((e) => (
            <tr key={e.position} data-testid="block-entry" data-id={e.id}>
              <td>{e.position}</td>
              <th scope="row">
                <a href={href("entries", e.id)}>
                  <code>{e.id}</code>
                </a>
              </th>
              {e.envelope ? (
                <>
                  <td>{e.envelope.type}</td>
                  <td>{e.envelope.dept}</td>
                  <td>
                    <Time iso={e.envelope.receivedAt} lang={l} />
                  </td>
                </>
              ) : (
                <td colSpan={3}>{t("entry.noEnvelope")}</td>
              )}
              <td>{t(`payload.${e.payloadStatus}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more.error !== undefined && <Failed error={more.error} />}
      {next !== null && (
        <div class="pager">
          <button
            type="button"
            disabled={more.loading}
            onClick={async () => {
              setMore({ loading: true });
              try {
                const part = await api.get<BlockEntriesView>(`/v1/blocks/${height}/entries`, { start: next });
                setParts((p) => [...p, part]);
                setMore({ loading: false });
              } catch (error) {
                setMore({ loading: false, error });
              }
            }}
          >
            {t("entries.more")}
          </button>
        </div>
      )}
    </section>
  );
}
