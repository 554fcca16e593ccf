import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function BlocksView(_props: ViewProps) {
  return <p>blocks</p>;
}
