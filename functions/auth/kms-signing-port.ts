import { GetPublicKeyCommand, type KMSClient, SignCommand } from "@aws-sdk/client-kms";
import type { KmsSigningPort } from "../../lib/crypto/kms-signer.js";

/** KmsSigner's two KMS calls on an SDK client (the client is created once and shared). */
export function kmsSigningPort(client: KMSClient): KmsSigningPort {
  return {
    sign: (input) => client.send(new SignCommand(input)),
    getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)),
  };
}
