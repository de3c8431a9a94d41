"""SIA DC-09 (PROTOCOLS.md §2-4): framing, CRC, header, AES, replies; and the
payload decoders for SIA DC-03 and Contact ID. Pure functions, no Django."""
