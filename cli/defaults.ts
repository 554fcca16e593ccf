import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where `zhixin` and `npm start` find the consortium file and the local home (keys,
 * dynalite files, the audit's kept checkpoint) when the environment does not say: in
 * the project root, the folder holding bin/, cli/ and local/, found from this file's own
 * location. So both agree from any working directory, and `zhixin` run through PATH or
 * a symlink to bin/zhixin finds the same files as `npm start`.
 *   ZHIXIN_HOME         default <root>/.zhixin
 *   ZHIXIN_CONSORTIUM   default <root>/consortium.example.json
 * A path given in the environment is used as given: a relative one is taken from the
 * current directory. An empty variable counts as unset.
 * Kept free of heavy imports: --help prints these paths.
 */

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

export const DEFAULT_HOME = ".zhixin";
export const DEFAULT_CONSORTIUM = "consortium.example.json";

export interface LocalPaths {
  /** Absolute path of ZHIXIN_HOME. */
  home: string;
  /** Absolute path of the consortium file. */
  consortium: string;
}

export function localPaths(
  env: { ZHIXIN_HOME?: string | undefined; ZHIXIN_CONSORTIUM?: string | undefined },
  cwd: string,
  root: string = PROJECT_ROOT,
): LocalPaths {
  return {
    home: env.ZHIXIN_HOME ? resolve(cwd, env.ZHIXIN_HOME) : resolve(root, DEFAULT_HOME),
    consortium: env.ZHIXIN_CONSORTIUM
      ? resolve(cwd, env.ZHIXIN_CONSORTIUM)
      : resolve(root, DEFAULT_CONSORTIUM),
  };
}
