import { type Stack, Token } from "aws-cdk-lib";
import { CHINA_PARTITION } from "./config.js";

/**
 * What differs between AWS partitions and is written by this stack rather than by CDK (which
 * builds ARNs from the partition and service principals from its region facts).
 */

/** Is the stack built for the China partition (its region known at synthesis, ./config.ts StackTarget)? */
export function inChinaPartition(stack: Stack): boolean {
  return !Token.isUnresolved(stack.partition) && stack.partition === CHINA_PARTITION;
}

/**
 * The kms:ViaService value of `service` (e.g. "dynamodb") calling KMS in the stack's region:
 * `<service>.<region>.amazonaws.com`, which is how AWS writes it, and how CDK writes its own
 * (aws-cdk-lib's secretsmanager and ec2 grants). For the China partition, whose endpoints are
 * `<service>.<region>.amazonaws.com.cn`, AWS documents no ViaService value, so both forms are
 * allowed: each names the same service in the same region, and nothing else matches.
 */
export function kmsViaService(stack: Stack, service: string): string | string[] {
  const value = `${service}.${stack.region}.amazonaws.com`;
  return inChinaPartition(stack) ? [value, `${value}.cn`] : value;
}

/**
 * How cdk-nag writes a pseudo parameter in a finding's id: its value when the stack knows it
 * (a stack built for a region: the partition and region are literals), else `<AWS::Name>`.
 */
export function nagPseudo(value: string, name: "Partition" | "Region" | "AccountId"): string {
  return Token.isUnresolved(value) ? `<AWS::${name}>` : value;
}
