"""The Status List: compressed byte array and its JSON form (draft-ietf-oauth-status-list §4).

§4.1 packs one status of ``bits`` bits (1, 2, 4 or 8) per Referenced Token into a byte array,
filling each byte from the least significant bit up ("right to left") while bytes follow in
their natural order; the array is DEFLATE-compressed in the ZLIB format (RFC 1950) and, in
JSON (§4.2), carried as the base64url string ``lst``. §11.1 warns that getting the bit order
wrong silently reports another token's status, hence the spec vectors in the tests.

Two limits bound the work an untrusted list can cause (STYLE §8):

* ``max_lst_chars`` caps the compressed text before anything is decoded;
* ``max_decompressed_bytes`` caps the inflated array. Inflation asks zlib for at most
  ``cap + 1`` bytes, so a compression bomb (a few kB inflating to gigabytes) costs at most
  ``cap + 1`` bytes of memory and is refused as ``status-list-too-large``.

Both raise ``LIST_TOO_LARGE``; a legitimate but incompressible list can hit the first cap
before the second, which is the intended trade-off (the token has to be fetched and held).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from specs.errors import Rejected, StatusListReason
from specs.jose import b64url_decode, b64url_encode

ALLOWED_BITS: tuple[int, ...] = (1, 2, 4, 8)
"""§4.1 step 1 and §4.2: "The allowed values for ``bits`` are 1, 2, 4, and 8"."""

DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
"""16 MiB: 2**27 one-bit or 2**24 eight-bit entries, far above §13.4's sizing examples."""

DEFAULT_MAX_LST_CHARS = 4 * 1024 * 1024
"""4 Mi characters of base64url, about 3 MiB compressed."""

MAX_INDEX = 2**53 - 1
"""The largest integer I-JSON (RFC 7493 §2.2) promises every JSON parser reads exactly."""

_BITS_PER_BYTE = 8
_ZLIB_LEVEL = 9  # §4.1 step 4: "RECOMMENDED to use the highest compression level available"
_INFLATE_CHUNK = 1024 * 1024


class StatusListJson(TypedDict):
    """The ``StatusList`` JSON object of §4.2."""

    bits: int
    lst: str
    aggregation_uri: NotRequired[str]


def parse_status_index(value: object) -> int:
    """An ``idx`` as §6.2 defines it: a non-negative JSON integer, else ``BAD_INDEX``.

    ``True``, ``1.0`` and ``"1"`` are refused rather than coerced, so one index has one
    spelling. Values above ``MAX_INDEX`` are refused too: I-JSON parsers may round them, so
    two parties could read different indices from the same token.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INDEX:
        raise Rejected(StatusListReason.BAD_INDEX)
    return value


def _check_bits(bits: object) -> int:
    """§4.2 ``bits`` is a JSON integer in ``ALLOWED_BITS``; ``true`` and ``1.0`` are not."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in ALLOWED_BITS:
        raise Rejected(StatusListReason.BAD_BITS)
    return bits


@dataclass(frozen=True, slots=True)
class StatusList:
    """A decoded Status List: ``bits`` per entry over the inflated §4.1 byte array.

    ``len()`` is the number of entries the array can hold. §4.1 step 2 allows the array to
    be larger than the number of Referenced Tokens, so trailing padding entries are in range
    (and read as whatever the issuer put there, normally 0x00 VALID, §13.3).
    """

    bits: int
    byte_array: bytes = field(repr=False)
    aggregation_uri: str | None = None

    def __post_init__(self) -> None:
        _check_bits(self.bits)

    def __len__(self) -> int:
        return len(self.byte_array) * _BITS_PER_BYTE // self.bits

    def status_at(self, idx: object) -> int:
        """The raw status value at ``idx`` (§4.1 step 3).

        §8.3 step 6: "If the provided index is out of bounds of the Status List ... the
        Referenced Token MUST be rejected", hence ``INDEX_OUT_OF_RANGE`` instead of a default.
        """
        index = parse_status_index(idx)
        if index >= len(self):
            raise Rejected(StatusListReason.INDEX_OUT_OF_RANGE)
        bit_offset = index * self.bits
        byte = self.byte_array[bit_offset // _BITS_PER_BYTE]
        return (byte >> (bit_offset % _BITS_PER_BYTE)) & ((1 << self.bits) - 1)


def pack_statuses(
    statuses: Sequence[int], bits: int, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> bytes:
    """The uncompressed §4.1 byte array, least significant bits first within each byte.

    The last byte is padded with 0x00 (VALID) entries, as §13.4 recommends whole bytes. A
    status that does not fit in ``bits`` is ``BAD_BITS``: the issuer chose too few bits (§7).
    """
    _check_bits(bits)
    per_byte = _BITS_PER_BYTE // bits
    size = -(-len(statuses) // per_byte)
    if size > max_bytes:
        raise Rejected(StatusListReason.LIST_TOO_LARGE)
    limit = 1 << bits
    packed = bytearray(size)
    for index, status in enumerate(statuses):
        if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status < limit:
            raise Rejected(StatusListReason.BAD_BITS)
        packed[index // per_byte] |= status << (index % per_byte * bits)
    return bytes(packed)


def encode_status_list(
    statuses: Sequence[int], bits: int, *, aggregation_uri: str | None = None
) -> StatusListJson:
    """The §4.2 JSON ``StatusList`` for ``statuses`` (index ``i`` holds ``statuses[i]``).

    The array is ZLIB-compressed at level 9 (§4.1 step 4). ``aggregation_uri`` (§9.2) is
    copied as given. The result never exceeds what ``decode_status_list`` accepts by default.
    """
    compressed = zlib.compress(pack_statuses(statuses, bits), _ZLIB_LEVEL)
    encoded: StatusListJson = {"bits": bits, "lst": b64url_encode(compressed)}
    if aggregation_uri is not None:
        encoded["aggregation_uri"] = aggregation_uri
    return encoded


def decode_status_list(
    obj: object,
    *,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_lst_chars: int = DEFAULT_MAX_LST_CHARS,
) -> StatusList:
    """Parse a §4.2 ``StatusList`` object: ``bits``, then ``lst``, bounded as described above.

    A value that is not an object, or an ``aggregation_uri`` that is not a string, is
    ``BAD_LST``: the list as a whole is malformed. Unknown members are ignored (§4.2 defines
    no closed set).
    """
    if not isinstance(obj, Mapping):
        raise Rejected(StatusListReason.BAD_LST)
    bits = _check_bits(obj.get("bits"))
    aggregation_uri = obj.get("aggregation_uri")
    if aggregation_uri is not None and not isinstance(aggregation_uri, str):
        raise Rejected(StatusListReason.BAD_LST)
    compressed = _decode_lst(obj.get("lst"), max_lst_chars=max_lst_chars)
    byte_array = _inflate(compressed, max_bytes=max_decompressed_bytes)
    return StatusList(bits, byte_array, aggregation_uri)


def _decode_lst(value: object, *, max_lst_chars: int) -> bytes:
    """Strict base64url (§3 "base64url", RFC 7515 §2): one spelling per byte string."""
    if not isinstance(value, str):
        raise Rejected(StatusListReason.BAD_LST)
    if len(value) > max_lst_chars:
        raise Rejected(StatusListReason.LIST_TOO_LARGE)
    try:
        return b64url_decode(value)
    except Rejected:
        raise Rejected(StatusListReason.BAD_LST) from None


def _inflate(compressed: bytes, *, max_bytes: int) -> bytes:
    """Inflate one complete ZLIB stream (RFC 1950), producing at most ``max_bytes + 1`` bytes.

    ``wbits=MAX_WBITS`` demands the ZLIB header and Adler-32 trailer, so raw DEFLATE and gzip
    are refused. A stream that stops early or is followed by extra bytes is ``BAD_LST``: we
    accept one encoding of one list, not a prefix of something else.

    The output comes in pieces of ``_INFLATE_CHUNK`` bytes and the count is checked after
    each, so a bomb costs about ``max_bytes`` of memory. One call with ``max_length`` would
    stop at the cap too, but zlib grows its output buffer by doubling, so it would hold about
    twice the cap before the size could be checked (THREATS T-01, INV-3).
    """
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS)
    pieces: list[bytes] = []
    size, pending = 0, compressed
    try:
        while not inflater.eof:
            piece = inflater.decompress(pending, _INFLATE_CHUNK)
            size += len(piece)
            if size > max_bytes:
                raise Rejected(StatusListReason.LIST_TOO_LARGE)
            pieces.append(piece)
            pending = inflater.unconsumed_tail
            if not pending and len(piece) < _INFLATE_CHUNK:
                break  # all input read and no output held back: the stream stopped early
    except zlib.error:
        raise Rejected(StatusListReason.BAD_LST) from None
    if not inflater.eof or inflater.unused_data:
        raise Rejected(StatusListReason.BAD_LST)
    return b"".join(pieces)
