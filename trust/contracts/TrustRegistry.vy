# pragma version 0.4.3
# SPDX-License-Identifier: EUPL-1.2
"""
@title aanspraak trust registry
@license EUPL-1.2
@notice Which issuers may attest which credential types with which keys, which verifiers
        may ask for which claims for which regulation, and which regulation versions are in
        force (DESIGN.md section 1, trust/).
@dev    Governance: one owner (possibly a multisig contract) appoints admins; admins write
        entries. Ownership moves in two steps so a typo cannot hand the registry to nobody.
        Additions take effect `additionDelay` seconds after they are mined, so a stolen admin
        key cannot make a new issuer trusted before governance notices (THREATS C-07);
        removals take effect at once, because a compromised key must stop working now
        (THREATS R-03). Every entry is keyed by the keccak256 of its exact identifier bytes:
        no normalisation, so look-alike identifiers are different entries (THREATS R-06).
        Entries are never deleted from the enumeration: a removed entry keeps its slot with
        `active = False`, so readers see the whole history and re-adding reuses the slot.
        No immutables: the deployed code is byte for byte the artifact's runtime bytecode,
        which is what readers pin (THREATS R-04).
"""

MAX_IDENTIFIER_LENGTH: constant(uint256) = 256
MAX_TYPES: constant(uint256) = 16
MAX_TYPE_LENGTH: constant(uint256) = 256
MAX_KEYS: constant(uint256) = 8
MAX_REGULATION_LENGTH: constant(uint256) = 64
MAX_PERMISSIONS: constant(uint256) = 8
MAX_CLAIMS: constant(uint256) = 32
MAX_CLAIM_LENGTH: constant(uint256) = 128
MAX_LEGAL_BASIS_LENGTH: constant(uint256) = 256
ISO_DATE_LENGTH: constant(uint256) = 10
MAX_ENTRIES: constant(uint256) = 4096
MAX_BATCH: constant(uint256) = 16
MAX_ADDITION_DELAY: constant(uint256) = 31536000  # one year


struct IssuerInput:
    identifier: String[MAX_IDENTIFIER_LENGTH]
    vcts: DynArray[String[MAX_TYPE_LENGTH], MAX_TYPES]
    key_refs: DynArray[bytes32, MAX_KEYS]
    valid_from: uint256
    valid_until: uint256


struct Issuer:
    identifier: String[MAX_IDENTIFIER_LENGTH]
    vcts: DynArray[String[MAX_TYPE_LENGTH], MAX_TYPES]
    key_refs: DynArray[bytes32, MAX_KEYS]
    valid_from: uint256
    valid_until: uint256
    effective_from: uint256
    active: bool


struct Permission:
    regulation: String[MAX_REGULATION_LENGTH]
    claims: DynArray[String[MAX_CLAIM_LENGTH], MAX_CLAIMS]


struct Verifier:
    client_id: String[MAX_IDENTIFIER_LENGTH]
    permissions: DynArray[Permission, MAX_PERMISSIONS]
    legal_basis: String[MAX_LEGAL_BASIS_LENGTH]
    valid_from: uint256
    valid_until: uint256
    effective_from: uint256
    active: bool


struct Anchor:
    regulation: String[MAX_REGULATION_LENGTH]
    valid_from: String[ISO_DATE_LENGTH]
    content_hash: bytes32
    effective_from: uint256
    active: bool


event IssuerAdded:
    identifier_hash: indexed(bytes32)
    identifier: String[MAX_IDENTIFIER_LENGTH]
    effective_from: uint256

event IssuerRemoved:
    identifier_hash: indexed(bytes32)
    identifier: String[MAX_IDENTIFIER_LENGTH]

event IssuerKeyRemoved:
    identifier_hash: indexed(bytes32)
    identifier: String[MAX_IDENTIFIER_LENGTH]
    key_ref: bytes32

event VerifierAdded:
    client_id_hash: indexed(bytes32)
    client_id: String[MAX_IDENTIFIER_LENGTH]
    effective_from: uint256

event VerifierRemoved:
    client_id_hash: indexed(bytes32)
    client_id: String[MAX_IDENTIFIER_LENGTH]

event RegulationAnchored:
    anchor_hash: indexed(bytes32)
    regulation: String[MAX_REGULATION_LENGTH]
    valid_from: String[ISO_DATE_LENGTH]
    content_hash: bytes32
    effective_from: uint256

event RegulationRemoved:
    anchor_hash: indexed(bytes32)
    regulation: String[MAX_REGULATION_LENGTH]
    valid_from: String[ISO_DATE_LENGTH]

event AdminAdded:
    account: indexed(address)

event AdminRemoved:
    account: indexed(address)

event OwnershipTransferStarted:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event AdditionDelaySet:
    previous_delay: uint256
    new_delay: uint256


owner: public(address)
pendingOwner: public(address)
isAdmin: public(HashMap[address, bool])
additionDelay: public(uint256)

issuerCount: public(uint256)
verifierCount: public(uint256)
anchorCount: public(uint256)

_issuers: HashMap[uint256, Issuer]
_verifiers: HashMap[uint256, Verifier]
_anchors: HashMap[uint256, Anchor]
# keccak256 of the identifier -> slot + 1 (0: never registered)
_issuer_slot: HashMap[bytes32, uint256]
_verifier_slot: HashMap[bytes32, uint256]
_anchor_slot: HashMap[bytes32, uint256]


@deploy
def __init__():
    self.owner = msg.sender
    self.isAdmin[msg.sender] = True
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)
    log AdminAdded(account=msg.sender)


# --- governance -------------------------------------------------------------------------


@internal
@view
def _only_owner():
    assert msg.sender == self.owner, "not owner"


@internal
@view
def _only_admin():
    assert self.isAdmin[msg.sender], "not admin"


@external
def transferOwnership(new_owner: address):
    """@notice Start a handover; `new_owner` must call acceptOwnership. Zero cancels."""
    self._only_owner()
    self.pendingOwner = new_owner
    log OwnershipTransferStarted(previous_owner=self.owner, new_owner=new_owner)


@external
def acceptOwnership():
    assert msg.sender == self.pendingOwner, "not pending owner"
    previous: address = self.owner
    self.owner = msg.sender
    self.pendingOwner = empty(address)
    log OwnershipTransferred(previous_owner=previous, new_owner=msg.sender)


@external
def addAdmin(account: address):
    self._only_owner()
    assert account != empty(address), "zero address"
    assert not self.isAdmin[account], "already admin"
    self.isAdmin[account] = True
    log AdminAdded(account=account)


@external
def removeAdmin(account: address):
    self._only_owner()
    assert self.isAdmin[account], "not an admin"
    self.isAdmin[account] = False
    log AdminRemoved(account=account)


@external
def setAdditionDelay(delay: uint256):
    """@notice Owner only: admins must not be able to shorten their own timelock."""
    self._only_owner()
    assert delay <= MAX_ADDITION_DELAY, "delay too long"
    previous: uint256 = self.additionDelay
    self.additionDelay = delay
    log AdditionDelaySet(previous_delay=previous, new_delay=delay)


@internal
@view
def _effective_from() -> uint256:
    return block.timestamp + self.additionDelay


# --- issuers ----------------------------------------------------------------------------


@internal
def _add_issuer(entry: IssuerInput):
    assert len(entry.identifier) > 0, "empty identifier"
    assert len(entry.vcts) > 0, "no credential types"
    assert len(entry.key_refs) > 0, "no keys"
    assert entry.valid_from < entry.valid_until, "empty validity"
    for vct: String[MAX_TYPE_LENGTH] in entry.vcts:
        assert len(vct) > 0, "empty credential type"
    for key_ref: bytes32 in entry.key_refs:
        assert key_ref != empty(bytes32), "zero key reference"
    identifier_hash: bytes32 = keccak256(entry.identifier)
    slot: uint256 = self._issuer_slot[identifier_hash]
    if slot == 0:
        assert self.issuerCount < MAX_ENTRIES, "registry full"
        self.issuerCount += 1
        slot = self.issuerCount
        self._issuer_slot[identifier_hash] = slot
    else:
        assert not self._issuers[slot - 1].active, "issuer registered"
    effective_from: uint256 = self._effective_from()
    self._issuers[slot - 1] = Issuer(
        identifier=entry.identifier,
        vcts=entry.vcts,
        key_refs=entry.key_refs,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        effective_from=effective_from,
        active=True,
    )
    log IssuerAdded(
        identifier_hash=identifier_hash, identifier=entry.identifier, effective_from=effective_from
    )


@external
def addIssuer(entry: IssuerInput):
    """@notice Register a new issuer (or re-register a removed one); effective after the delay."""
    self._only_admin()
    self._add_issuer(entry)


@external
def addIssuers(entries: DynArray[IssuerInput, MAX_BATCH]):
    """@notice Seed many issuers in one transaction; all or nothing."""
    self._only_admin()
    for entry: IssuerInput in entries:
        self._add_issuer(entry)


@internal
@view
def _active_issuer_slot(identifier: String[MAX_IDENTIFIER_LENGTH]) -> uint256:
    slot: uint256 = self._issuer_slot[keccak256(identifier)]
    assert slot != 0 and self._issuers[slot - 1].active, "issuer not registered"
    return slot


@external
def removeIssuer(identifier: String[MAX_IDENTIFIER_LENGTH]):
    """@notice Immediate: an issuer that must go is gone in the next block."""
    self._only_admin()
    slot: uint256 = self._active_issuer_slot(identifier)
    self._issuers[slot - 1].active = False
    log IssuerRemoved(identifier_hash=keccak256(identifier), identifier=identifier)


@external
def removeIssuerKey(identifier: String[MAX_IDENTIFIER_LENGTH], key_ref: bytes32):
    """@notice Immediate: a compromised key stops being trusted, even for unexpired
    credentials it signed (THREATS R-03). The entry's other keys stay."""
    self._only_admin()
    slot: uint256 = self._active_issuer_slot(identifier)
    kept: DynArray[bytes32, MAX_KEYS] = []
    for candidate: bytes32 in self._issuers[slot - 1].key_refs:
        if candidate != key_ref:
            kept.append(candidate)
    assert len(kept) < len(self._issuers[slot - 1].key_refs), "key not registered"
    self._issuers[slot - 1].key_refs = kept
    log IssuerKeyRemoved(identifier_hash=keccak256(identifier), identifier=identifier, key_ref=key_ref)


@external
@view
def issuerAt(index: uint256) -> Issuer:
    assert index < self.issuerCount, "index out of range"
    return self._issuers[index]


# --- verifiers --------------------------------------------------------------------------


@external
def addVerifier(
    client_id: String[MAX_IDENTIFIER_LENGTH],
    permissions: DynArray[Permission, MAX_PERMISSIONS],
    legal_basis: String[MAX_LEGAL_BASIS_LENGTH],
    valid_from: uint256,
    valid_until: uint256,
):
    """@notice Register a verifier with the claims it may ask for, per regulation.
    Claim paths are compact JSON arrays; readers check their syntax (no JSON parser here)."""
    self._only_admin()
    assert len(client_id) > 0, "empty client id"
    assert len(permissions) > 0, "no permissions"
    assert len(legal_basis) > 0, "no legal basis"
    assert valid_from < valid_until, "empty validity"
    seen: DynArray[bytes32, MAX_PERMISSIONS] = []
    for permission: Permission in permissions:
        assert len(permission.regulation) > 0, "empty regulation"
        assert len(permission.claims) > 0, "no claims"
        regulation_hash: bytes32 = keccak256(permission.regulation)
        assert regulation_hash not in seen, "duplicate regulation"
        seen.append(regulation_hash)
        for claim: String[MAX_CLAIM_LENGTH] in permission.claims:
            assert len(claim) > 0, "empty claim"
    client_id_hash: bytes32 = keccak256(client_id)
    slot: uint256 = self._verifier_slot[client_id_hash]
    if slot == 0:
        assert self.verifierCount < MAX_ENTRIES, "registry full"
        self.verifierCount += 1
        slot = self.verifierCount
        self._verifier_slot[client_id_hash] = slot
    else:
        assert not self._verifiers[slot - 1].active, "verifier registered"
    effective_from: uint256 = self._effective_from()
    self._verifiers[slot - 1] = Verifier(
        client_id=client_id,
        permissions=permissions,
        legal_basis=legal_basis,
        valid_from=valid_from,
        valid_until=valid_until,
        effective_from=effective_from,
        active=True,
    )
    log VerifierAdded(
        client_id_hash=client_id_hash, client_id=client_id, effective_from=effective_from
    )


@external
def removeVerifier(client_id: String[MAX_IDENTIFIER_LENGTH]):
    self._only_admin()
    client_id_hash: bytes32 = keccak256(client_id)
    slot: uint256 = self._verifier_slot[client_id_hash]
    assert slot != 0 and self._verifiers[slot - 1].active, "verifier not registered"
    self._verifiers[slot - 1].active = False
    log VerifierRemoved(client_id_hash=client_id_hash, client_id=client_id)


@external
@view
def verifierAt(index: uint256) -> Verifier:
    assert index < self.verifierCount, "index out of range"
    return self._verifiers[index]


# --- regulation anchors -----------------------------------------------------------------


@external
def anchorRegulation(
    regulation: String[MAX_REGULATION_LENGTH],
    valid_from: String[ISO_DATE_LENGTH],
    content_hash: bytes32,
):
    """@notice Anchor the version of `regulation` valid from `valid_from` (an ISO date):
    `content_hash` is the SHA-256 digest its readers compute ("sha256:<hex>")."""
    self._only_admin()
    assert len(regulation) > 0, "empty regulation"
    assert len(valid_from) == ISO_DATE_LENGTH, "valid_from is not an ISO date"
    assert content_hash != empty(bytes32), "zero content hash"
    anchor_hash: bytes32 = keccak256(abi_encode(regulation, valid_from))
    slot: uint256 = self._anchor_slot[anchor_hash]
    if slot == 0:
        assert self.anchorCount < MAX_ENTRIES, "registry full"
        self.anchorCount += 1
        slot = self.anchorCount
        self._anchor_slot[anchor_hash] = slot
    else:
        assert not self._anchors[slot - 1].active, "regulation anchored"
    effective_from: uint256 = self._effective_from()
    self._anchors[slot - 1] = Anchor(
        regulation=regulation,
        valid_from=valid_from,
        content_hash=content_hash,
        effective_from=effective_from,
        active=True,
    )
    log RegulationAnchored(
        anchor_hash=anchor_hash,
        regulation=regulation,
        valid_from=valid_from,
        content_hash=content_hash,
        effective_from=effective_from,
    )


@external
def removeRegulationAnchor(
    regulation: String[MAX_REGULATION_LENGTH], valid_from: String[ISO_DATE_LENGTH]
):
    self._only_admin()
    anchor_hash: bytes32 = keccak256(abi_encode(regulation, valid_from))
    slot: uint256 = self._anchor_slot[anchor_hash]
    assert slot != 0 and self._anchors[slot - 1].active, "regulation not anchored"
    self._anchors[slot - 1].active = False
    log RegulationRemoved(anchor_hash=anchor_hash, regulation=regulation, valid_from=valid_from)


@external
@view
def anchorAt(index: uint256) -> Anchor:
    assert index < self.anchorCount, "index out of range"
    return self._anchors[index]
