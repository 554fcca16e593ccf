import { signal } from "./state.js";

/**
 * Routes live in the URL's fragment (#/blocks/12), so the same static files serve every
 * view under /console/ and at a CloudFront root, and no path reaches a server log. Nothing
 * personal ever goes in a route: a citizen's ID stays in the page's memory (views/citizen).
 */

export interface Route {
  view: string;
  params: string[];
}

export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { view: parts[0] ?? "overview", params: parts.slice(1) };
}

export const route = signal<Route>(parseRoute(globalThis.location?.hash ?? ""));
globalThis.addEventListener?.("hashchange", () => route.set(parseRoute(location.hash)));

export function href(view: string, ...params: Array<string | number>): string {
  return `#/${[view, ...params.map((p) => encodeURIComponent(String(p)))].join("/")}`;
}
