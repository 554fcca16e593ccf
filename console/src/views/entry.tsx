import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function EntryView(_props: ViewProps) {
  return <p>entry</p>;
}
