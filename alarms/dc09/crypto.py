"""AES-CBC with an all-zero IV, pad + ``|`` terminator (PROTOCOLS.md §3)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from alarms.dc09.message import Message, parse_timestamp, split_body

ZERO_IV = bytes(16)
_FORBIDDEN_PAD = frozenset(b"|[]")
_HEXCHARS = frozenset(b"0123456789ABCDEFabcdef")


class DecryptError(Exception):
    pass


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.CBC(ZERO_IV))


def aes_encrypt(key: bytes, plaintext: bytes) -> bytes:
    encryptor = _cipher(key).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def aes_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    decryptor = _cipher(key).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def random_pad(length: int) -> bytes:
    """Random pad bytes, never ``|``, ``[`` or ``]`` (printable, for strict panels)."""
    out = bytearray()
    while len(out) < length:
        for b in os.urandom(length * 2):
            if 0x21 <= b <= 0x7E and b not in _FORBIDDEN_PAD:
                out.append(b)
                if len(out) == length:
                    break
    return bytes(out)


def encrypt_body(key: bytes, content: bytes) -> str:
    """hex(AES(pad | content)) where content is ``data]…_timestamp`` (§3.3)."""
    rest = b"|" + content
    pad_len = 16 - len(rest) % 16
    if pad_len == 0:
        pad_len = 16
    return aes_encrypt(key, random_pad(pad_len) + rest).hex().upper()


def decrypt_body(message: Message, key: bytes) -> None:
    """Decrypt ``message.body`` in place (data, xdata, timestamp) or raise DecryptError."""
    body = message.body
    if not body or len(body) % 32 or not all(b in _HEXCHARS for b in body):
        raise DecryptError("ciphertext is not a non-zero multiple of 32 hex characters")
    try:
        plain = aes_decrypt(key, bytes.fromhex(body.decode("ascii")))
    except ValueError as exc:  # wrong key size
        raise DecryptError(str(exc)) from exc
    bar = plain.find(b"|")
    close = plain.find(b"]")
    if close < 0:
        raise DecryptError("no ] in decrypted data")
    if bar < 0 or bar > close:
        if message.token != "NULL":
            raise DecryptError("no pad terminator | before the first ]")
        message.flags.append("no_pad_terminator")
        content = plain[close:]
    else:
        content = plain[bar + 1:]
    try:
        content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DecryptError("decrypted text is not ASCII/cp1252") from exc
    if not split_body(content, message):
        raise DecryptError("decrypted data cannot be split")
    if message.timestamp is None and parse_timestamp(content) is None:
        # A timestamp is mandatory in encrypted frames; the caller NAKs on it.
        message.flags.append("no_timestamp")
    if message.data and message.data.startswith("#"):
        inner = message.data[1:].split("|", 1)[0]
        if (inner.upper().lstrip("0") or "0") != (message.account.upper().lstrip("0") or "0"):
            raise DecryptError("inner account does not match the header")
