import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "../api.js";
import { tc } from "../i18n/index.js";

/** What the ledger views share: loading an API answer, showing its failure, hashes and times. */

export interface Loaded<T> {
  value?: T;
  error?: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` on mount (and on reload); a result that arrives after unmount is dropped. */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  // `load` is the view's own, fixed for its life: a route or identity change re-mounts the view.
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => live && setState({ value, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** The API's refusal (code and message) or a failure to reach it, with a retry. */
export function Failed(props: { error: unknown; retry?: () => void }) {
  const e = props.error;
  const what = e instanceof ApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
  return (
    <div role="alert" class="bad" data-testid="load-error">
      <p>
        {tc("error.title")} — <code>{what}</code>
      </p>
      {props.retry && (
        <button type="button" class="secondary" onClick={props.retry}>
          {tc("retry")}
        </button>
      )}
    </div>
  );
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

/** A hash shown whole for copying, but wrapped; `title` keeps it readable to screen readers. */
export function Hash(props: { value: string; testid?: string }) {
  return (
    <code class="hash" data-testid={props.testid}>
      {props.value}
    </code>
  );
}

/** The first 12 hex digits and an ellipsis, with the whole hash as its title. */
export function ShortHash(props: { value: string }) {
  return (
    <code class="hash" title={props.value}>
      {props.value.slice(0, 12)}…
    </code>
  );
}

/** An RFC 3339 time in the page's locale, the original kept in a <time> element. */
export function Time(props: { iso: string; lang: "zh" | "en" }) {
  const d = new Date(props.iso);
  const text = Number.isNaN(d.getTime())
    ? props.iso
    : d.toLocaleString(props.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
  return <time dateTime={props.iso}>{text}</time>;
}
