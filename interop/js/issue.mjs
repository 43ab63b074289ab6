// Issue an SD-JWT VC (typ dc+sd-jwt) with @sd-jwt/sd-jwt-vc.
//
// stdin:  {"issuer_private_jwk", "holder_public_jwk" | null, "claims", "vct", "iss", "iat",
//          "disclosure_frame"}
// stdout: {"sd_jwt": "<compact SD-JWT, ending in ~>"}
//
// The payload is {iss, iat, vct, ...claims, cnf: {jwk: holder_public_jwk}}; disclosure_frame is
// the library's DisclosureFrame ({"_sd": ["given_name"], "address": {"_sd": ["locality"]}}).

import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

import {
  UsageError,
  es256Signer,
  privateKeyFromJwk,
  publicKeyFromJwk,
  readInput,
  run,
  writeOutput,
} from "./common.mjs";

const SET_BY_HARNESS = ["iss", "iat", "vct", "cnf"];

await run(async () => {
  const input = await readInput([
    "issuer_private_jwk",
    "holder_public_jwk",
    "claims",
    "vct",
    "iss",
    "iat",
    "disclosure_frame",
  ]);
  const { claims, holder_public_jwk: holderJwk } = input;
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new UsageError("claims must be a JSON object");
  }
  const clashes = SET_BY_HARNESS.filter((name) => name in claims);
  if (clashes.length > 0) throw new UsageError(`claims must not contain ${clashes.join(", ")}`);

  const payload = { iss: input.iss, iat: input.iat, vct: input.vct, ...claims };
  if (holderJwk !== null) {
    publicKeyFromJwk(holderJwk, "holder_public_jwk");
    payload.cnf = { jwk: holderJwk };
  }

  const instance = new SDJwtVcInstance({
    signer: es256Signer(privateKeyFromJwk(input.issuer_private_jwk, "issuer_private_jwk")),
    signAlg: "ES256",
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
  });
  const sdJwt = await instance.issue(payload, input.disclosure_frame);
  writeOutput({ sd_jwt: sdJwt });
});
