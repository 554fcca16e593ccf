import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";

/**
 * Structured JSON logs, one line each, through the Powertools Logger: service name
 * POWERTOOLS_SERVICE_NAME (default "zhixin"), level POWERTOOLS_LOG_LEVEL or LOG_LEVEL
 * (DEBUG, INFO, WARN, ERROR; default INFO; AWS Lambda's advanced logging controls take
 * precedence). Warnings and errors go to stderr, the rest to stdout. Local mode sets
 * LOG_LEVEL=WARN, since it prints its own human-readable lines.
 *
 * The Logger is created at the first line logged, so that the environment local mode
 * sets before loading the handlers is the one it reads.
 */
type Level = "DEBUG" | "INFO" | "WARN" | "ERROR";

let logger: Logger | undefined;

function getLogger(): Logger {
  logger ??= new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || "zhixin" });
  return logger;
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  const l = getLogger();
  if (level === "DEBUG") l.debug(message, fields);
  else if (level === "INFO") l.info(message, fields);
  else if (level === "WARN") l.warn(message, fields);
  else l.error(message, fields);
}

/** Adds the invocation's request id, function name and cold start to every line that follows. */
export function addLogContext(context: Context | undefined): void {
  if (context) getLogger().addContext(context);
}
