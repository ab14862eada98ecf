/**
 * X.509 for Notary v1, as the rest of the SDK uses it: making the root certificate notary would make
 * (x509-build.ts) and parsing certificates strictly as Go does (x509-parse.ts). Root validation trusts root
 * certificates by key ID (notary pins no CA), so no certificate signature is checked here; a test checks ours with
 * node:crypto's X509Certificate. PEM lives in pem.ts.
 */
export { createRootCertificate } from "./x509-build.ts";
export type { CreateRootCertificateOptions } from "./x509-build.ts";
export { parseCertificate, parseCertificateBundle } from "./x509-parse.ts";
export type { ParsedCertificate } from "./x509-parse.ts";
