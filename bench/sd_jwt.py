"""SD-JWT VC issue, present and verify: op/s next to a same-run crypto ceiling and ``sd-jwt``.

Run ``python -m bench.sd_jwt`` (``make bench``); ``--quick`` for fewer, shorter rounds,
``--json`` for machine-readable output, ``--profile verify`` for a cProfile of our side.

Workload: an SD-JWT VC (``dc+sd-jwt``; ``vct``, ``iss``, ``iat``, ``exp`` and ``cnf.jwk``
plain) with 12 Disclosures: ``given_name``, ``family_name``, ``birthdate``, ``email``,
``phone_number`` (5); ``address`` (1), itself an object with disclosable ``street_address``,
``locality``, ``postal_code``, ``country`` (4); ``nationalities``, a plain array whose two
elements ``"NL"`` and ``"DE"`` are disclosable (2). No decoys. The holder presents 3 claims,
``given_name``, ``address.locality`` and ``nationalities.0``, which sends 4 Disclosures
(``address`` comes along as the parent of ``locality``), plus a KB-JWT. All keys are P-256,
all signatures ES256.

Ours: ``issue`` is ``issue_sd_jwt_vc`` with ``os.urandom``; ``present`` is ``open_sd_jwt`` +
``present_sd_jwt`` on the stored issued token; ``verify`` is ``verify_sd_jwt_vc`` with
``KeyBindingRequired`` and a ``StaticKeyResolver`` for the issuer key.

Ceilings: the least work each operation needs, written directly with ``cryptography``,
``hashlib``, ``base64`` and ``json`` (no project code, no checks beyond the cryptographic
ones; "json encode" is one prebuilt compact ``JSONEncoder``), and producing real output that
our own code accepts (checked before timing):

* issue = per Disclosure (12): 16 random bytes of salt, json encode, base64url, SHA-256
  (+ base64url of the digest); json encode + base64url of header and payload; 1 ES256 sign.
* present = split on ``~``; base64url-decode + ``json.loads`` of the issuer payload and of all
  12 Disclosures, and SHA-256 of each (without its digest a holder cannot tell where a
  Disclosure sits: ``["salt", "NL"]`` does not say which array it belongs to); the selection
  itself is hard-coded; SHA-256 ``sd_hash``; json encode + base64url of the KB-JWT header
  and payload; 1 ES256 sign.
* verify = split on ``~``; base64url-decode + ``json.loads`` of the issuer JWT's header and
  payload; ES256 verify (raw r||s to DER) with a pre-loaded key; per presented Disclosure (4):
  SHA-256 + base64url-decode + ``json.loads``; import the holder key from ``cnf.jwk``
  (``from_encoded_point``); decode the KB-JWT header and payload; ES256 verify; SHA-256 for
  ``sd_hash``. It does not rebuild the claims (RFC 9901 §7.1 processing).

Reference: PyPI ``sd-jwt`` 0.10.4 (``SDJWTIssuer``, ``SDJWTHolder``, ``SDJWTVerifier``,
jwcrypto keys made from the same key pairs). Closest equivalents: ``typ`` comes from
``extra_header_parameters``; its holder takes the KB-JWT ``iat`` from ``time()``; its
verifier checks less (no ``typ``, no ``exp``/``iat``, no KB-JWT freshness, no unreferenced
Disclosures, lenient base64 and JSON), so it does less work than ours.

Inputs are shared: all three present the same token (ours) and verify the same presentation
(ours); each issues its own. Method: one process, one thread. Each implementation is
calibrated to ``--seconds`` of CPU per round; rounds are interleaved (ours, ceiling, reference,
in an order that rotates each round) so drift hits all three alike; op/s is iterations per CPU
second of this process (``time.process_time``: one core, not disturbed by other processes on a
shared machine; wall-clock rates are in ``--json``), the median over rounds; the ratio is
ours / ceiling of those medians, with the range of per-round ratios shown.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import cryptography
from cryptography.hazmat.backends.openssl import backend as openssl_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from specs.jose import PrivateJwk, StaticKeyResolver, generate_private_key
from specs.sd_jwt import Disclosable, KeyBindingRequired, open_sd_jwt, present_sd_jwt
from specs.sd_jwt_vc import VC_TYP, issue_sd_jwt_vc, verify_sd_jwt_vc

VCT = "https://credentials.example.nl/person"
ISSUER = "https://issuer.example.nl"
AUDIENCE = "https://verifier.example.nl"
NONCE = "n-0S6_WzA2Mj"
TOP_FIELDS = ("given_name", "family_name", "birthdate", "email", "phone_number")
ADDRESS_FIELDS = ("street_address", "locality", "postal_code", "country")
PERSON: dict[str, Any] = {
    "given_name": "Jan",
    "family_name": "Jansen",
    "birthdate": "1990-01-01",
    "email": "jan.jansen@example.nl",
    "phone_number": "+31 6 12345678",
    "address": {
        "street_address": "Stationsplein 1",
        "locality": "Utrecht",
        "postal_code": "3511 ED",
        "country": "NL",
    },
    "nationalities": ["NL", "DE"],
}
DISCLOSURES_ISSUED = 12
DISCLOSED_PATHS = (("given_name",), ("address", "locality"), ("nationalities", 0))
DISCLOSURES_SENT = 4
TARGETS = {"issue": 0.5, "present": 0.5, "verify": 0.8}
OPERATIONS = tuple(TARGETS)
_ECDSA = ec.ECDSA(hashes.SHA256())


def registered_claims(now: int) -> dict[str, Any]:
    """The plain claims besides ``vct`` and ``cnf``, as every implementation issues them."""
    return {"iss": ISSUER, "iat": now, "exp": now + 365 * 86400}


def marked_claims(now: int) -> dict[str, Any]:
    """``PERSON`` with our ``Disclosable`` marks: the 12 Disclosures of the module docstring."""
    return {
        **registered_claims(now),
        **{name: Disclosable(PERSON[name]) for name in TOP_FIELDS},
        "address": Disclosable({n: Disclosable(PERSON["address"][n]) for n in ADDRESS_FIELDS}),
        "nationalities": [Disclosable(value) for value in PERSON["nationalities"]],
    }


class Ours:
    """The project's API, as a wallet and a verifier would call it."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        self.issuer, self.holder, self.now = issuer, holder, now
        self.claims = marked_claims(now)
        self.resolver = StaticKeyResolver(issuer.public)
        self.policy = KeyBindingRequired(nonce=NONCE, audience=AUDIENCE)

    def issue(self) -> str:
        return issue_sd_jwt_vc(
            self.claims,
            vct=VCT,
            issuer_key=self.issuer,
            holder_key=self.holder.public,
            random_bytes=os.urandom,
        ).token

    def present(self, token: str) -> str:
        return present_sd_jwt(
            open_sd_jwt(token),
            disclose=DISCLOSED_PATHS,
            holder_key=self.holder,
            nonce=NONCE,
            audience=AUDIENCE,
            now=self.now,
        )

    def verify(self, presentation: str) -> dict[str, Any]:
        return verify_sd_jwt_vc(
            presentation, issuer_keys=self.resolver, key_binding=self.policy, now=self.now
        ).claims


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(value: Any) -> bytes:
    return _ENCODE(value).encode("utf-8")


def _digest(text: str) -> str:
    return _b64e(hashlib.sha256(text.encode("ascii")).digest())


def _es256_sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _es256_verify(key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> None:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), data, _ECDSA)  # raises InvalidSignature


class Ceiling:
    """The crypto-only ceilings of the module docstring; each returns real SD-JWT output."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        assert isinstance(issuer.key, ec.EllipticCurvePrivateKey)
        assert isinstance(holder.key, ec.EllipticCurvePrivateKey)
        self.issuer_key, self.holder_key = issuer.key, holder.key
        self.issuer_public = issuer.key.public_key()
        self.now = now
        self.registered = {**registered_claims(now), "vct": VCT}
        self.holder_jwk = holder.public.to_jwk()

    def issue(self) -> str:
        disclosures: list[str] = []

        def disclose(*name_and_value: Any) -> str:
            encoded = _b64e(_dumps([_b64e(os.urandom(16)), *name_and_value]))
            disclosures.append(encoded)
            return _digest(encoded)

        address = {"_sd": sorted(disclose(n, PERSON["address"][n]) for n in ADDRESS_FIELDS)}
        top = [disclose(name, PERSON[name]) for name in TOP_FIELDS]
        payload = {
            "_sd": sorted([*top, disclose("address", address)]),
            "nationalities": [{"...": disclose(v)} for v in PERSON["nationalities"]],
            **self.registered,
            "cnf": {"jwk": self.holder_jwk},
            "_sd_alg": "sha-256",
        }
        signing_input = f"{_b64e(_dumps({'alg': 'ES256', 'typ': VC_TYP}))}.{_b64e(_dumps(payload))}"
        signature = _es256_sign(self.issuer_key, signing_input.encode("ascii"))
        return "~".join([f"{signing_input}.{_b64e(signature)}", *disclosures]) + "~"

    def present(self, token: str) -> str:
        jwt, *encoded, _ = token.split("~")
        payload = json.loads(_b64d(jwt.split(".")[1]))
        by_digest = {_digest(d): (d, json.loads(_b64d(d))) for d in encoded}
        top = {by_digest[x][1][1]: by_digest[x] for x in payload["_sd"] if x in by_digest}
        address_encoded, address = top["address"]
        inner = {by_digest[x][1][1]: by_digest[x][0] for x in address[2]["_sd"] if x in by_digest}
        first_nationality = by_digest[payload["nationalities"][0]["..."]][0]
        chosen = [top["given_name"][0], address_encoded, inner["locality"], first_nationality]
        sd_jwt = "~".join([jwt, *chosen]) + "~"
        kb = {"iat": self.now, "aud": AUDIENCE, "nonce": NONCE, "sd_hash": _digest(sd_jwt)}
        signing_input = f"{_b64e(_dumps({'alg': 'ES256', 'typ': 'kb+jwt'}))}.{_b64e(_dumps(kb))}"
        signature = _es256_sign(self.holder_key, signing_input.encode("ascii"))
        return f"{sd_jwt}{signing_input}.{_b64e(signature)}"

    def verify(self, presentation: str) -> tuple[list[Any], dict[str, list[Any]], list[Any]]:
        """``[header, payload]``, Disclosures by digest, ``[KB header, KB payload]``."""
        jwt, *encoded, kb_jwt = presentation.split("~")
        header_segment, payload_segment, signature_segment = jwt.split(".")
        header = json.loads(_b64d(header_segment))
        payload = json.loads(_b64d(payload_segment))
        signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
        _es256_verify(self.issuer_public, signing_input, _b64d(signature_segment))
        disclosures = {_digest(d): json.loads(_b64d(d)) for d in encoded}
        jwk = payload["cnf"]["jwk"]
        point = b"\x04" + _b64d(jwk["x"]) + _b64d(jwk["y"])
        holder = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        kb_header_segment, kb_payload_segment, kb_signature_segment = kb_jwt.split(".")
        kb_header = json.loads(_b64d(kb_header_segment))
        kb_payload = json.loads(_b64d(kb_payload_segment))
        kb_input = f"{kb_header_segment}.{kb_payload_segment}".encode("ascii")
        _es256_verify(holder, kb_input, _b64d(kb_signature_segment))
        if kb_payload["sd_hash"] != _digest(presentation[: len(presentation) - len(kb_jwt)]):
            raise ValueError("sd_hash")
        return [header, payload], disclosures, [kb_header, kb_payload]


class Reference:
    """PyPI ``sd-jwt`` 0.10.4 doing the same workload (see the module docstring)."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        from jwcrypto.jwk import JWK
        from sd_jwt.common import SDObj
        from sd_jwt.holder import SDJWTHolder
        from sd_jwt.issuer import SDJWTIssuer
        from sd_jwt.verifier import SDJWTVerifier

        self.issuer_class, self.holder_class = SDJWTIssuer, SDJWTHolder
        self.verifier_class = SDJWTVerifier
        self.issuer_key, self.holder_key = JWK.from_pyca(issuer.key), JWK.from_pyca(holder.key)
        self.issuer_public = JWK.from_pyca(issuer.key.public_key())
        self.claims = {
            **registered_claims(now),
            "vct": VCT,
            **{SDObj(name): PERSON[name] for name in TOP_FIELDS},
            SDObj("address"): {SDObj(n): PERSON["address"][n] for n in ADDRESS_FIELDS},
            "nationalities": [SDObj(value) for value in PERSON["nationalities"]],
        }
        # Its selection tree for DISCLOSED_PATHS: objects by name, arrays by position.
        self.selection = {
            "given_name": True,
            "address": {"locality": True},
            "nationalities": [True],
        }

    def issue(self) -> str:
        issuer = self.issuer_class(
            self.claims,
            self.issuer_key,
            holder_key=self.holder_key,
            sign_alg="ES256",
            extra_header_parameters={"typ": VC_TYP},  # its default is example+sd-jwt
        )
        return str(issuer.sd_jwt_issuance)

    def present(self, token: str) -> str:
        holder = self.holder_class(token)
        holder.create_presentation(
            self.selection, nonce=NONCE, aud=AUDIENCE, holder_key=self.holder_key, sign_alg="ES256"
        )
        return str(holder.sd_jwt_presentation)

    def verify(self, presentation: str) -> dict[str, Any]:
        verifier = self.verifier_class(
            presentation,
            lambda _iss, _header: self.issuer_public,
            expected_aud=AUDIENCE,  # both, or it skips the KB-JWT in silence
            expected_nonce=NONCE,
        )
        payload: dict[str, Any] = verifier.get_verified_payload()
        return payload


def _require(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.sd_jwt: broken path, not timed: {what}")


def _sent(presentation: str) -> int:
    """Disclosures in ``<JWT>~<D1>~...~<Dn>~<KB-JWT>``."""
    return presentation.count("~") - 1


def validate(
    ours: Ours, ceiling: Ceiling, reference: Reference | None, holder: PrivateJwk, now: int
) -> tuple[str, str]:
    """Run every timed path once and check its output; return the shared token and presentation.

    Each ceiling's output is read by our code (and ours by the ceiling), so a ceiling cannot
    be fast by skipping work a real SD-JWT needs; the reference is crossed with ours likewise.
    """
    registered = {**registered_claims(now), "vct": VCT}
    cnf = {"jwk": holder.public.to_jwk()}
    everything = {**registered, **PERSON, "cnf": cnf}
    disclosed = {
        **registered,
        "cnf": cnf,
        "given_name": "Jan",
        "address": {"locality": "Utrecht"},
        "nationalities": ["NL"],
    }
    token = ours.issue()
    view = open_sd_jwt(token)
    _require(len(view.disclosures) == DISCLOSURES_ISSUED, "ours: issued Disclosure count")
    _require(view.processed.claims == everything, "ours: issued claims")
    presentation = ours.present(token)
    _require(_sent(presentation) == DISCLOSURES_SENT, "ours: presented Disclosure count")
    _require(ours.verify(presentation) == disclosed, "ours: verified claims")

    ceiling_view = open_sd_jwt(ceiling.issue())
    _require(len(ceiling_view.disclosures) == DISCLOSURES_ISSUED, "ceiling issue: count")
    _require(ceiling_view.processed.claims == everything, "ceiling issue: claims")
    ceiling_presentation = ceiling.present(token)
    _require(_sent(ceiling_presentation) == DISCLOSURES_SENT, "ceiling present: count")
    _require(ours.verify(ceiling_presentation) == disclosed, "ceiling present: claims")
    (_, payload), disclosures, (_, kb_payload) = ceiling.verify(presentation)
    sent = set(presentation.split("~")[1:-1])
    expected = {
        d.digest: [d.salt, d.value] if d.name is None else [d.salt, d.name, d.value]
        for d in view.disclosures
        if d.encoded in sent
    }
    _require(payload["cnf"] == cnf and kb_payload["nonce"] == NONCE, "ceiling verify: payloads")
    _require(disclosures == expected, "ceiling verify: Disclosures")

    if reference is not None:
        reference_view = open_sd_jwt(reference.issue())
        _require(len(reference_view.disclosures) == DISCLOSURES_ISSUED, "sd-jwt issue: count")
        reference_claims = reference_view.processed.claims
        reference_claims["cnf"]["jwk"].pop("kid")  # jwcrypto adds the RFC 7638 thumbprint
        _require(reference_claims == everything, "sd-jwt issue: claims")
        reference_presentation = reference.present(token)
        _require(_sent(reference_presentation) == DISCLOSURES_SENT, "sd-jwt present: count")
        _require(ours.verify(reference_presentation) == disclosed, "sd-jwt present: claims")
        _require(reference.verify(presentation) == disclosed, "sd-jwt verify: claims")
    return token, presentation


@dataclass
class Subject:
    """One implementation of one operation, and its op/s per round."""

    operation: str
    implementation: str
    run: Callable[[], object]
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    """Per round, iterations / CPU seconds of this process."""
    wall_rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def subjects_for(
    ours: Ours, ceiling: Ceiling, reference: Reference | None, token: str, presentation: str
) -> list[Subject]:
    implementations: list[tuple[str, Ours | Ceiling | Reference]] = [
        ("ours", ours),
        ("ceiling", ceiling),
    ]
    if reference is not None:
        implementations.append(("sd-jwt", reference))
    subjects: list[Subject] = []
    for name, impl in implementations:
        subjects += [
            Subject("issue", name, impl.issue),
            Subject("present", name, partial(impl.present, token)),
            Subject("verify", name, partial(impl.verify, presentation)),
        ]
    return subjects


def _time(run: Callable[[], object], iterations: int) -> tuple[float, float]:
    """CPU and wall seconds for ``iterations`` calls.

    CPU time is what op/s "on one core" means, and it does not count the time another
    process on a shared machine takes the core away; wall time is kept for the JSON report.
    """
    gc.collect()  # start each round from the same heap state; GC stays on while timing
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(iterations):
        run()
    return time.process_time() - cpu, time.perf_counter() - wall


def _iterations_for(run: Callable[[], object], seconds: float) -> int:
    """Calls that take about ``seconds`` of CPU; doubles as warm-up."""
    iterations = 1
    while (elapsed := _time(run, iterations)[0]) < min(0.05, seconds / 2):
        iterations *= 2
    return max(1, round(iterations * seconds / elapsed))


def measure(subjects: list[Subject], *, rounds: int, seconds: float) -> None:
    """Calibrate each subject to ``seconds`` per round, then run interleaved rounds."""
    for subject in subjects:
        subject.iterations = _iterations_for(subject.run, seconds)
    for round_number in range(rounds):
        for operation in OPERATIONS:
            group = [s for s in subjects if s.operation == operation]
            shift = round_number % len(group)  # who goes first rotates
            for subject in group[shift:] + group[:shift]:
                cpu, wall = _time(subject.run, subject.iterations)
                subject.rates.append(subject.iterations / cpu)
                subject.wall_rates.append(subject.iterations / wall)


def summarize(subjects: list[Subject]) -> dict[str, dict[str, Any]]:
    by_key = {(s.operation, s.implementation): s for s in subjects}
    rows: dict[str, dict[str, Any]] = {}
    for operation, target in TARGETS.items():
        ours, ceiling = by_key[operation, "ours"], by_key[operation, "ceiling"]
        reference = by_key.get((operation, "sd-jwt"))
        per_round = [o / c for o, c in zip(ours.rates, ceiling.rates, strict=True)]
        ratio = ours.median / ceiling.median
        rows[operation] = {
            "ours_ops": ours.median,
            "ceiling_ops": ceiling.median,
            "ratio": ratio,
            "round_ratio_range": [min(per_round), max(per_round)],
            "target": target,
            "passed": ratio >= target,
            "reference_ops": reference.median if reference else None,
            "reference_ratio": reference.median / ceiling.median if reference else None,
            "rates": {s.implementation: s.rates for s in (ours, ceiling, reference) if s},
            "wall_rates": {s.implementation: s.wall_rates for s in (ours, ceiling, reference) if s},
            "iterations_per_round": {
                s.implementation: s.iterations for s in (ours, ceiling, reference) if s
            },
        }
    return rows


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "cryptography": cryptography.__version__,
        "openssl": openssl_backend.openssl_version_text(),
        "cpus": os.cpu_count(),
        "threads": 1,
    }


def print_table(rows: dict[str, dict[str, Any]], meta: dict[str, Any]) -> None:
    env = meta["environment"]
    print(
        f"SD-JWT VC, {DISCLOSURES_ISSUED} Disclosures issued; present "
        f"{len(DISCLOSED_PATHS)} claims = {DISCLOSURES_SENT} Disclosures + KB-JWT; ES256 (P-256)"
    )
    print(
        f"one thread, CPU time; median of {meta['rounds']} interleaved rounds of "
        f"~{meta['seconds']} s; "
        f"Python {env['python']}, cryptography {env['cryptography']}, {env['openssl']}"
    )
    print()
    print(
        f"{'operation':<10}{'ours op/s':>11}{'ceiling op/s':>14}{'ratio':>7}"
        f"{'(rounds)':>13}{'target':>8}{'sd-jwt op/s':>13}{'sd-jwt ratio':>14}"
    )
    for operation, row in rows.items():
        low, high = row["round_ratio_range"]
        reference = "n/a" if row["reference_ops"] is None else f"{row['reference_ops']:,.0f}"
        reference_ratio = (
            "n/a" if row["reference_ratio"] is None else f"{row['reference_ratio']:.2f}"
        )
        print(
            f"{operation:<10}{row['ours_ops']:>11,.0f}{row['ceiling_ops']:>14,.0f}"
            f"{row['ratio']:>7.2f}{f'{low:.2f}-{high:.2f}':>13}{'>= ' + str(row['target']):>8}"
            f"{reference:>13}{reference_ratio:>14}"
        )
    print()
    verdicts = [
        f"{operation} {'PASS' if row['passed'] else 'MISS'} "
        f"({row['ratio']:.3f} {'>=' if row['passed'] else '<'} {row['target']})"
        for operation, row in rows.items()
    ]
    print(f"(ran {meta['elapsed_seconds']} s)")
    print(f"{'PASS' if meta['passed'] else 'MISS'}: " + ", ".join(verdicts))


def profile(run: Callable[[], object], *, seconds: float) -> None:
    """cProfile of ``run`` for about ``seconds``, top 25 functions by own time."""
    iterations = _iterations_for(run, seconds)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        run()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sd_jwt",
        description="SD-JWT VC issue/present/verify op/s against same-run ceilings and sd-jwt.",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 11, quick 3)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per round (default 0.25)")
    parser.add_argument(
        "--profile", choices=OPERATIONS, help="print a cProfile of our side of one operation"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 11)
    seconds = args.seconds or (0.1 if args.quick else 0.25)

    started = time.perf_counter()
    now = int(time.time())
    issuer, holder = generate_private_key(), generate_private_key()
    ours, ceiling = Ours(issuer, holder, now), Ceiling(issuer, holder, now)
    try:
        reference: Reference | None = Reference(issuer, holder, now)
    except ImportError:  # the dev extra is not installed: report n/a
        reference = None
    token, presentation = validate(ours, ceiling, reference, holder, now)

    if args.profile:
        runs: dict[str, Callable[[], object]] = {
            "issue": ours.issue,
            "present": partial(ours.present, token),
            "verify": partial(ours.verify, presentation),
        }
        profile(runs[args.profile], seconds=max(seconds * 5, 1.0))
        return 0

    subjects = subjects_for(ours, ceiling, reference, token, presentation)
    measure(subjects, rounds=rounds, seconds=seconds)
    rows = summarize(subjects)
    meta = {
        "workload": {
            "typ": VC_TYP,
            "disclosures_issued": DISCLOSURES_ISSUED,
            "disclosed_paths": [list(path) for path in DISCLOSED_PATHS],
            "disclosures_sent": DISCLOSURES_SENT,
            "token_chars": len(token),
            "presentation_chars": len(presentation),
        },
        "rounds": rounds,
        "seconds": seconds,
        "environment": environment(),
        "passed": all(row["passed"] for row in rows.values()),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps({**meta, "operations": rows}, indent=2))
    else:
        print_table(rows, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
