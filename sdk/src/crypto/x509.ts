/**
 * X.509 for Notary v1, as the rest of the SDK uses it: making the root certificate notary would make
 * (x509-build.ts), parsing certificates strictly as Go does (x509-parse.ts), and checking a certificate's
 * signature (x509-verify.ts). PEM lives in pem.ts.
 */
export { createRootCertificate } from "./x509-build.ts";
export type { CreateRootCertificateOptions } from "./x509-build.ts";
export { parseCertificate, parseCertificateBundle } from "./x509-parse.ts";
export type { ParsedCertificate } from "./x509-parse.ts";
export { verifyCertificateSignature } from "./x509-verify.ts";
