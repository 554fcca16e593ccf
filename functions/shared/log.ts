/**
 * Structured JSON logs, one line each, filtered by LOG_LEVEL (DEBUG, INFO, WARN,
 * ERROR; default INFO) — the variable AWS Lambda's advanced logging controls and
 * Powertools use. Local mode sets WARN, since it prints its own human-readable lines.
 */
const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 } as const;
type Level = keyof typeof LEVELS;

function threshold(): number {
  const name = (process.env.LOG_LEVEL ?? "INFO").toUpperCase();
  return LEVELS[name as Level] ?? LEVELS.INFO;
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < threshold()) return;
  const line = JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...fields });
  if (LEVELS[level] >= LEVELS.WARN) console.error(line);
  else console.log(line);
}
