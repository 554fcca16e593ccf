import type { Api } from "../api.js";

/** What every view gets: the signed API client of the chosen identity, and the route's parameters. */
export interface ViewProps {
  api: Api;
  params: string[];
}
