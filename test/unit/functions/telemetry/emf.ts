import { type MockInstance, vi } from "vitest";

/**
 * Captures what is written to stdout, where Powertools Metrics writes its EMF documents
 * (one JSON line each) and the Logger its INFO lines.
 */
export function captureStdout(): { lines: () => string[]; emf: () => Emf[]; restore: () => void } {
  const written: string[] = [];
  const spy: MockInstance = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    written.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk as Uint8Array));
    return true;
  });
  const lines = () => written.join("").split("\n").filter(Boolean);
  return {
    lines,
    emf: () =>
      lines()
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return undefined;
          }
        })
        .filter((d): d is Emf => d !== undefined && "_aws" in d),
    restore: () => spy.mockRestore(),
  };
}

/** CloudWatch Embedded Metric Format, as Powertools writes it. */
export interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}
