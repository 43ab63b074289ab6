// Present an SD-JWT (VC) with @sd-jwt/sd-jwt-vc: keep the disclosures the frame selects and
// append a KB-JWT signed with the holder key.
//
// stdin:  {"sd_jwt", "holder_private_jwk", "disclose", "nonce", "aud", "iat", "kb_claims"?}
// stdout: {"presentation": "<compact SD-JWT+KB>"}
//
// disclose is the library's PresentationFrame: {"given_name": true, "address": {"locality": true},
// "nationalities": {"0": true}}. A nested frame also selects the parent's own disclosure.
// holder_private_jwk may be null (then nonce, aud and iat must be null too): the presentation
// then ends in "~" with no KB-JWT, for tests of verifiers that require key binding.
// kb_claims (optional) adds claims to the KB-JWT payload, e.g. OpenID4VP's
// transaction_data_hashes (OpenID4VP 1.0 B.3.3); it may not replace iat, aud, nonce or sd_hash.

import { digest } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

import { UsageError, es256Signer, privateKeyFromJwk, readInput, run, writeOutput } from "./common.mjs";

await run(async () => {
  const input = await readInput(
    ["sd_jwt", "holder_private_jwk", "disclose", "nonce", "aud", "iat"],
    ["kb_claims"],
  );
  const extra = input.kb_claims ?? {};
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) {
    throw new UsageError("kb_claims must be a JSON object");
  }
  for (const name of ["iat", "aud", "nonce", "sd_hash"]) {
    if (name in extra) throw new UsageError(`kb_claims may not set ${name}`);
  }
  const { disclose, holder_private_jwk: holderJwk } = input;
  if (typeof disclose !== "object" || disclose === null || Array.isArray(disclose)) {
    throw new UsageError("disclose must be a presentation frame (a JSON object)");
  }

  if (holderJwk === null) {
    if (input.nonce !== null || input.aud !== null || input.iat !== null) {
      throw new UsageError("without holder_private_jwk, nonce, aud and iat must be null");
    }
    const instance = new SDJwtVcInstance({ hasher: digest, hashAlg: "sha-256" });
    writeOutput({ presentation: await instance.present(input.sd_jwt, disclose) });
    return;
  }

  if (typeof input.nonce !== "string" || typeof input.aud !== "string") {
    throw new UsageError("nonce and aud must be strings");
  }
  if (!Number.isInteger(input.iat)) throw new UsageError("iat must be an integer");
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    kbSigner: es256Signer(privateKeyFromJwk(holderJwk, "holder_private_jwk")),
    kbSignAlg: "ES256",
  });
  const presentation = await instance.present(input.sd_jwt, disclose, {
    kb: { payload: { ...extra, iat: input.iat, aud: input.aud, nonce: input.nonce } },
  });
  writeOutput({ presentation });
});
