import { existsSync } from "node:fs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  cosignerKeyOf,
  formatCosignatureVerifierKey,
  formatVerifierKey,
  noteKeyOf,
  parseVerifierKey,
} from "#chain";
import { addCheckpointHandler } from "../functions/add-checkpoint/handler.js";
import { generateKeyFile, readOwnerSignerFile, readSignerFile } from "../functions/auth/signer-file.js";
import { witnessedLogs } from "../functions/runtime/witness.js";
import {
  createWitnessTable,
  DynamoDbWitnessState,
  initializeWitnessTable,
} from "../functions/witness/state-store.js";
import type { Clock } from "../lib/clock.js";
import {
  type Consortium,
  cosignatureAlgorithmOf,
  suiteOf,
  witnessesOf,
  witnessName,
} from "../lib/consortium/consortium.js";
import { SEALER_OWNER } from "../lib/crypto/key-directory.js";
import { witnessKeyFile } from "../lib/local-home.js";
import { type LocalServer, serveHandler } from "./server.js";

/**
 * Local mode's witnesses: one per witnessing department, in this process, each as its
 * member stack would run it on AWS — its own Ed25519 key (keys/<id>.witness.pem), its own
 * state table (zhixin-witness-<id> in the local dynalite) and its own URL (a loopback
 * server in front of the same add-checkpoint handler as the Lambda function URL).
 *
 * A witness's state table gets its genesis item just before its key is generated. A key
 * without its table's genesis means the state was lost (a deleted or reset dynamodb/
 * folder): the witness would cosign from scratch, so npm start refuses to start instead.
 */

export interface LocalWitness {
  id: string;
  /** Its cosigner name: zhixin-witness/<consortium>/<id>. */
  name: string;
  url: string;
  /** Its cosignature verifier key (c2sp.org/tlog-cosignature, type 0x04). */
  vkey: string;
  table: string;
  generated: boolean;
}

export interface LocalWitnesses {
  witnesses: LocalWitness[];
  stop(): Promise<void>;
}

export async function startLocalWitnesses(options: {
  home: string;
  consortium: Consortium;
  client: DynamoDBClient;
  /** The sealer's key file: its public key is the key the witnesses trust for the log. */
  sealerKeyFile: string;
  clock: Clock;
  log: (line: string) => void;
}): Promise<LocalWitnesses> {
  const { home, consortium, client } = options;
  const sealer = await readOwnerSignerFile(
    suiteOf(consortium),
    options.sealerKeyFile,
    SEALER_OWNER,
    consortium.sealer.alg,
  );
  const noteKey = noteKeyOf(consortium.sealer.alg, await sealer.publicKey());
  const logVkey = formatVerifierKey(consortium.log, noteKey.type, noteKey.publicKey);
  parseVerifierKey(logVkey);
  // Each witness cosigns with the suite's algorithm: Ed25519 (intl) or SM2 (gm).
  const alg = cosignatureAlgorithmOf(consortium);
  const servers: LocalServer[] = [];
  const witnesses: LocalWitness[] = [];
  try {
    for (const { id } of witnessesOf(consortium)) {
      const path = witnessKeyFile(home, id);
      const generated = !existsSync(path);
      const table = `zhixin-witness-${id}`;
      await createWitnessTable(client, table);
      // Genesis before the key: a start killed between the two leaves a genesis without a
      // key, which the next start completes — never a key whose state looks lost.
      if (generated) {
        await initializeWitnessTable(client, table, options.clock.now());
        await generateKeyFile(path, alg);
      }
      const state = new DynamoDbWitnessState(client, table);
      // Reading any origin checks the genesis item first: a lost state stops npm start here.
      await state.get(consortium.log);
      const name = witnessName(consortium.consortium, id);
      const { sm2Id } = suiteOf(consortium);
      const signer = await readSignerFile(path, `${id}/witness`, alg, sm2Id);
      const deps = {
        state,
        key: { name, signer },
        logs: witnessedLogs(logVkey, sm2Id),
        clock: options.clock,
      };
      const server = await serveHandler({
        handler: addCheckpointHandler({
          runtime: async () => deps,
          log: (level, message, fields) =>
            options.log(`witness ${id}: ${level} ${message} ${JSON.stringify(fields)}`),
        }),
        port: 0,
      });
      servers.push(server);
      witnesses.push({
        id,
        name,
        url: server.url,
        vkey: formatCosignatureVerifierKey(cosignerKeyOf(name, alg, await signer.publicKey())),
        table,
        generated,
      });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  return {
    witnesses,
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
