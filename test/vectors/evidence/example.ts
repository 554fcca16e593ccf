import {
  contentDigest,
  cosignatureKeyHash,
  entryLeafHash,
  fromHex,
  INTL,
  KEY_ADD_TYPE,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  sha256Bytes,
  toBase64,
  toHex,
  utf8,
} from "#chain";
import { formatEvidenceBundle } from "../../../lib/evidence/index.js";
import {
  ed25519FromSeed,
  ed25519Verify,
  type TestLog,
  type TestWitness,
} from "../../support/witness-keys.js";
import { ed25519Key, keyAddData, record, TestLedger, trustRootFor } from "./ledger.js";

// The worked example of docs/formats/evidence.md §7, built from its inputs: the test of
// that page reads the inputs from the page, builds the example with this, and compares
// every value the page shows; generate.ts writes it to example.json.

export interface ExampleInputs {
  log: string;
  /** Hex Ed25519 secret keys (RFC 8032 seeds). */
  sealerSeed: string;
  witnessName: string;
  witnessSeed: string;
  owner: string;
  memberSeed: string;
  add: { receivedAt: string; created: number; nonce: string };
  evidence: { receivedAt: string; created: number; nonce: string };
  /** The evidence file's text (UTF-8). */
  file: string;
  capturedAt: string;
  caseId: string;
  /** When the witness cosigns, Unix seconds. */
  cosignedAt: number;
  /** The trust root's key governance: the consortium's departments, and cosigns of an owner's key record. */
  departments: string[];
  ownerCosigns: number;
}

export const EXAMPLE_INPUTS: ExampleInputs = {
  log: "zhixin.example/demo",
  // RFC 8032 §7.1 TEST 2, TEST 3 and TEST 1.
  sealerSeed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  witnessName: "zhixin-witness/demo/hf-haikou",
  witnessSeed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
  owner: "internet-court",
  memberSeed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  add: { receivedAt: "2026-11-21T08:00:00.123Z", created: 1795248000, nonce: "Kq3vX8mT2pLd9RwZ4sNc7hYb" },
  evidence: {
    receivedAt: "2026-11-21T09:00:00.456Z",
    created: 1795251600,
    nonce: "Tz5wB1nQ8rFk2VyH6mJd3gXs",
  },
  file: "Contract of sale, hz-2026-0001, signed 2026-11-20: page 1 of 1\n",
  capturedAt: "2026-11-21T08:55:00Z",
  caseId: "hz-2026-0001",
  cosignedAt: 1795251660,
  departments: ["hf-haikou", "internet-court"],
  ownerCosigns: 0,
};

export interface Example {
  trustRoot: string;
  bundle: string;
  checkpoint: string;
  /** The values the page's table shows, by row name. */
  values: Record<string, string>;
}

export function buildExample(inputs: ExampleInputs): Example {
  const sealerKey = ed25519FromSeed(fromHex(inputs.sealerSeed));
  const sealerHash = noteKeyHash(inputs.log, NOTE_SIGNATURE_TYPE_ED25519, sealerKey.publicKey);
  const sealer: TestLog = {
    origin: inputs.log,
    publicKey: sealerKey.publicKey,
    signer: { name: inputs.log, keyHash: sealerHash, sign: sealerKey.sign },
    verifier: {
      name: inputs.log,
      keyHash: sealerHash,
      verify: (m, s) => ed25519Verify(sealerKey.publicKey, m, s),
    },
  };
  const witnessKey = ed25519FromSeed(fromHex(inputs.witnessSeed));
  const witnessHash = cosignatureKeyHash(inputs.witnessName, "ed25519", witnessKey.publicKey);
  const witness: TestWitness = {
    key: { name: inputs.witnessName, keyHash: witnessHash, alg: "ed25519", publicKey: witnessKey.publicKey },
    signer: { name: inputs.witnessName, keyHash: witnessHash, sign: witnessKey.sign },
    verifier: {
      name: inputs.witnessName,
      keyHash: witnessHash,
      verify: (m, s) => ed25519Verify(witnessKey.publicKey, m, s),
    },
  };
  const member = ed25519Key(inputs.owner, fromHex(inputs.memberSeed));
  const file = utf8(inputs.file);
  const addData = keyAddData(member) as Record<string, string>;
  const evidenceData = {
    capturedAt: inputs.capturedAt,
    caseId: inputs.caseId,
    sha256: toHex(sha256Bytes(file)),
  };

  const ledger = new TestLedger(sealer);
  ledger.append(record(member, KEY_ADD_TYPE, addData, inputs.add));
  ledger.append(record(member, "evidence.digest", evidenceData, inputs.evidence));
  const checkpoint = ledger.checkpoint([witness], inputs.cosignedAt);
  const bundle = formatEvidenceBundle(ledger.parts(1, [0], checkpoint));
  const [add, evidence] = ledger.entries as [(typeof ledger.entries)[0], (typeof ledger.entries)[0]];
  return {
    trustRoot: trustRootFor(sealer, [witness], 1, {
      departments: inputs.departments,
      ownerCosigns: inputs.ownerCosigns,
    }).text,
    bundle,
    checkpoint,
    values: {
      "member spki": toBase64(member.spki),
      "member keyId": member.keyId,
      "add pop": addData.pop as string,
      "add contentDigest": contentDigest(INTL, addData),
      "add entry id": add.envelope.id,
      "add leaf hash": toHex(entryLeafHash(INTL, add.envelope)),
      "file SHA-256": evidenceData.sha256,
      "evidence contentDigest": evidence.envelope.contentDigest,
      "evidence entry id": evidence.envelope.id,
      "evidence leaf hash": toHex(entryLeafHash(INTL, evidence.envelope)),
      "log root": toHex(ledger.tree().root()),
    },
  };
}
