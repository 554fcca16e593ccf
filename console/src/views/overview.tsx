import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function OverviewView(_props: ViewProps) {
  return <p>overview</p>;
}
