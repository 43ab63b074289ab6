// Op/s of @sd-jwt/sd-jwt-vc 0.19.0 on bench.sd_jwt's workload: the JavaScript reference row.
//
// stdin:  {"issuer_private_jwk", "holder_private_jwk", "payload", "disclosure_frame",
//          "token", "presentation", "presentation_frame", "nonce", "aud", "now",
//          "seconds", "rounds"}
// stdout: {"version", "issued", "presented", "verified_payload",
//          "rates": {"issue": [op/s per round], "present": [...], "verify": [...]}}
//
// issue signs `payload` (registered claims, cnf and the person) with `disclosure_frame`;
// present takes `token` (issued by the Python side) and keeps `presentation_frame`, with a
// KB-JWT (nonce, aud, iat = now); verify checks `presentation` (made by the Python side) with
// the issuer key loaded once and the holder key imported from cnf.jwk on every call, as the
// other implementations do. One sample output of each operation is returned so the caller can
// check it before believing the figures.
//
// Method: each operation is calibrated to about `seconds` of CPU per round; rounds interleave
// the three operations; op/s is iterations / CPU seconds of this process (process.cpuUsage:
// user + system), so, like the Python rows, it is "on one core".

import { createPublicKey } from "node:crypto";

import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

import { es256Check, es256Signer, privateKeyFromJwk, readInput, run, writeOutput } from "./common.mjs";

const VERSION = "0.19.0";

function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function timed(operation, iterations) {
  const started = cpuSeconds();
  for (let i = 0; i < iterations; i += 1) await operation();
  return cpuSeconds() - started;
}

async function calibrate(operation, seconds) {
  let iterations = 1;
  let elapsed = await timed(operation, iterations);
  while (elapsed < Math.min(0.05, seconds / 2)) {
    iterations *= 2;
    elapsed = await timed(operation, iterations);
  }
  return Math.max(1, Math.round((iterations * seconds) / elapsed));
}

await run(async () => {
  const input = await readInput([
    "issuer_private_jwk",
    "holder_private_jwk",
    "payload",
    "disclosure_frame",
    "token",
    "presentation",
    "presentation_frame",
    "nonce",
    "aud",
    "now",
    "seconds",
    "rounds",
  ]);
  const issuerPrivate = privateKeyFromJwk(input.issuer_private_jwk, "issuer_private_jwk");
  const issuerPublic = createPublicKey(issuerPrivate);
  const holderPrivate = privateKeyFromJwk(input.holder_private_jwk, "holder_private_jwk");

  const issuer = new SDJwtVcInstance({
    signer: es256Signer(issuerPrivate),
    signAlg: "ES256",
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
  });
  const holder = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    kbSigner: es256Signer(holderPrivate),
    kbSignAlg: "ES256",
  });
  const verifier = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: (signingInput, signature) => es256Check(issuerPublic, signingInput, signature),
    kbVerifier: (signingInput, signature, payload) =>
      es256Check(createPublicKey({ key: payload.cnf.jwk, format: "jwk" }), signingInput, signature),
    statusListFetcher: async () => {
      throw new Error("bench: status list fetching is disabled");
    },
  });
  const kb = { payload: { iat: input.now, aud: input.aud, nonce: input.nonce } };

  const operations = {
    issue: () => issuer.issue(input.payload, input.disclosure_frame),
    present: () => holder.present(input.token, input.presentation_frame, { kb }),
    verify: () =>
      verifier.verify(input.presentation, { currentDate: input.now, keyBindingNonce: input.nonce }),
  };
  const issued = await operations.issue();
  const presented = await operations.present();
  const verified = await operations.verify();

  const iterations = {};
  for (const [name, operation] of Object.entries(operations)) {
    iterations[name] = await calibrate(operation, input.seconds);
  }
  const rates = { issue: [], present: [], verify: [] };
  for (let round = 0; round < input.rounds; round += 1) {
    for (const [name, operation] of Object.entries(operations)) {
      const elapsed = await timed(operation, iterations[name]);
      rates[name].push(iterations[name] / elapsed);
    }
  }
  writeOutput({
    version: VERSION,
    issued,
    presented,
    verified_payload: verified.payload,
    rates,
  });
});
