// Verify an SD-JWT VC (optionally with key binding) with @sd-jwt/sd-jwt-vc.
//
// stdin:  {"token", "issuer_public_jwk", "nonce" | null, "aud" | null, "require_kb": bool,
//          "now"?: unix seconds (default: the wall clock)}
// stdout: {"ok": true, "payload": {...processed claims...}}                      exit 0
//         {"ok": false, "error": "<message>"}                                     exit 1
//
// What 0.19.0 checks itself: the issuer signature, iat/nbf/exp against "now", every digest, and,
// when given a nonce, the KB-JWT (typ kb+jwt, signature by cnf.jwk, nonce, sd_hash).
// What it does not check, so this script adds it (errors start with "harness:"):
//   - the issuer-signed JWT's typ is dc+sd-jwt (SD-JWT VC §3.2.1),
//   - vct is a string (SD-JWT VC §3.2.2.1),
//   - the KB-JWT's aud equals the expected audience (RFC 9901 §7.3 step 5),
//   - alg is ES256 for both signatures (read back from the signing input, see common.mjs).
// The KB-JWT's iat is not checked for freshness by the library, nor here.

import { digest } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

import { UsageError, es256Check, publicKeyFromJwk, readInput, run, writeOutput } from "./common.mjs";

function rejected(error) {
  writeOutput({ ok: false, error: error.message });
  process.exitCode = 1;
}

await run(async () => {
  const input = await readInput(
    ["token", "issuer_public_jwk", "nonce", "aud", "require_kb"],
    ["now"],
  );
  const { nonce, aud, require_kb: requireKb } = input;
  if (typeof input.token !== "string") throw new UsageError("token must be a string");
  if (typeof requireKb !== "boolean") throw new UsageError("require_kb must be a boolean");
  if (requireKb && (typeof nonce !== "string" || typeof aud !== "string")) {
    throw new UsageError("require_kb needs nonce and aud as strings");
  }
  if (!requireKb && (nonce !== null || aud !== null)) {
    throw new UsageError("nonce and aud must be null when require_kb is false");
  }
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(now)) throw new UsageError("now must be an integer");
  const issuerKey = publicKeyFromJwk(input.issuer_public_jwk, "issuer_public_jwk");

  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: (signingInput, signature) => es256Check(issuerKey, signingInput, signature),
    // The library passes the processed issuer payload: the holder key is its cnf.jwk.
    kbVerifier: (signingInput, signature, payload) => {
      const jwk = payload?.cnf?.jwk;
      if (jwk === undefined) throw new Error("harness: no cnf.jwk to verify the KB-JWT with");
      let holderKey;
      try {
        holderKey = publicKeyFromJwk(jwk, "cnf.jwk");
      } catch (error) {
        throw new Error(`harness: ${error.message}`); // the token's fault, not the caller's
      }
      return es256Check(holderKey, signingInput, signature);
    },
    // Never reach out to the network from a test.
    statusListFetcher: async () => {
      throw new Error("harness: status list fetching is disabled");
    },
  });

  try {
    const result = await instance.verify(input.token, {
      currentDate: now,
      ...(requireKb ? { keyBindingNonce: nonce } : {}),
    });
    if (result.header?.typ !== "dc+sd-jwt") {
      throw new Error(`harness: typ ${JSON.stringify(result.header?.typ)} is not dc+sd-jwt`);
    }
    if (typeof result.payload.vct !== "string") throw new Error("harness: vct is not a string");
    if (requireKb) {
      if (result.kb === undefined) throw new Error("harness: key binding was not verified");
      if (result.kb.payload.aud !== aud) {
        throw new Error(`harness: KB-JWT aud ${JSON.stringify(result.kb.payload.aud)} is not ${JSON.stringify(aud)}`);
      }
    }
    writeOutput({ ok: true, payload: result.payload });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    rejected(error);
  }
});
