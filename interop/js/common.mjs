// Shared plumbing for the interop scripts: JSON over stdin/stdout, ES256 with node's own crypto.
//
// The scripts drive @sd-jwt/sd-jwt-vc 0.19.0 (the JavaScript reference implementation) so that
// our Python implementation can be checked against an independent one. Signing and signature
// checking use node:crypto with JWK import; only hashing and salts come from
// @sd-jwt/crypto-nodejs.
//
// Exit codes: 0 success; 1 the library (or a harness check) rejected the input (verify.mjs
// only); 2 the harness was called wrongly (bad JSON, missing or unknown field, wrong key type).
// A test that expects a rejection asserts exit code 1, so a typo in a test cannot pass as one.

import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";

export class UsageError extends Error {}

export async function readInput(required, optional = []) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  let input;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new UsageError(`stdin is not JSON: ${error.message}`);
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new UsageError("stdin must be a JSON object");
  }
  const allowed = new Set([...required, ...optional]);
  const unknown = Object.keys(input).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw new UsageError(`unknown fields: ${unknown.join(", ")}`);
  const missing = required.filter((key) => !(key in input));
  if (missing.length > 0) throw new UsageError(`missing fields: ${missing.join(", ")}`);
  return input;
}

export function writeOutput(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// Runs main(); a thrown error means the harness was misused or the library failed to issue or
// present: exit 2. verify.mjs catches the library's rejections itself and exits 1.
export async function run(main) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`interop harness: ${error.message}\n`);
    process.exitCode = 2;
  }
}

function requireP256(jwk, role) {
  if (typeof jwk !== "object" || jwk === null || jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new UsageError(`${role} must be a P-256 EC JWK`);
  }
}

export function privateKeyFromJwk(jwk, role) {
  requireP256(jwk, role);
  if (typeof jwk.d !== "string") throw new UsageError(`${role} has no private part "d"`);
  return createPrivateKey({ key: jwk, format: "jwk" });
}

export function publicKeyFromJwk(jwk, role) {
  requireP256(jwk, role);
  // A public key slot holding private material is a test bug worth stopping on.
  if ("d" in jwk) throw new UsageError(`${role} must not contain the private part "d"`);
  return createPublicKey({ key: jwk, format: "jwk" });
}

// JWS ES256 signatures are the raw r||s concatenation (RFC 7518 §3.4): ieee-p1363 in node terms.
export function es256Signer(privateKey) {
  return (signingInput) =>
    sign("sha256", Buffer.from(signingInput, "utf8"), {
      key: privateKey,
      dsaEncoding: "ieee-p1363",
    }).toString("base64url");
}

// The library hands the verifier only "header.payload" and the signature, never the header's
// alg. We read it back from the signing input so that only ES256 is accepted.
export function es256Check(publicKey, signingInput, signature) {
  const header = JSON.parse(Buffer.from(signingInput.split(".")[0], "base64url").toString("utf8"));
  if (header.alg !== "ES256") throw new Error(`harness: alg ${JSON.stringify(header.alg)} is not ES256`);
  return verify(
    "sha256",
    Buffer.from(signingInput, "utf8"),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
}
