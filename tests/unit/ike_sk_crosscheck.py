#!/usr/bin/python3
"""python3-cryptography, an independent implementation, checks the IKEv2 SK
payload of src/crypto/ike_crypto.c both ways (RFC 7296 3.14, RFC 5282,
algorithms.md 7) through tests/unit/ike_sk_probe, for every suite we offer:
AES-GCM-16 128/256 and AES-CBC 128/256 with HMAC-SHA2-256-128/384-192/512-256.

1. Python builds and protects messages with random keys, IVs, inner lengths
   and padding (any amount, any pad octets: a receiver must accept any valid
   padding, R7296-3.14.a; GCM needs no alignment, R5282-4.a); ike_sk_open
   must return the inner payloads. The same message with one bit flipped in
   the header, the IV, the ciphertext or the ICV must be refused for its ICV.
2. ike_sk_seal protects messages Python built; Python verifies the tag / ICV
   over header..ciphertext, decrypts, and checks the padding is minimal.
"""
import os
import random
import struct
import subprocess
import sys

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives import hashes, hmac
except ImportError:
    print("SKIP: python3-cryptography not installed")
    sys.exit(77)

PROBE = os.path.join(os.environ.get("top_builddir", "."), "tests/unit/ike_sk_probe")
ENCR_AES_CBC, ENCR_AES_GCM_16 = 12, 20
INTEG = {12: (hashes.SHA256, 32, 16), 13: (hashes.SHA384, 48, 24), 14: (hashes.SHA512, 64, 32)}
SUITES = [(ENCR_AES_GCM_16, 128, 0), (ENCR_AES_GCM_16, 256, 0)] + \
    [(ENCR_AES_CBC, bits, integ) for bits in (128, 256) for integ in (12, 13, 14)]
ROUNDS = 12
rng = random.Random(int.from_bytes(os.urandom(4), "big"))
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def probe(requests):
    """Run all requests (tuples of words) through one probe process."""
    text = "".join(" ".join(str(w) if w != "" else "-" for w in r) + "\n" for r in requests)
    out = subprocess.run([PROBE], input=text, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("probe: %s" % out.stderr.strip())
    lines = out.stdout.splitlines()
    if len(lines) != len(requests):
        raise RuntimeError("probe answered %d of %d requests" % (len(lines), len(requests)))
    return lines


def header(total, sk_len):
    """IKE header (IKE_AUTH request from the original initiator) + SK header."""
    return (bytes(range(1, 17)) + bytes([46, 0x20, 35, 0x08]) + struct.pack(">II", rng.randrange(1 << 31), total)
            + bytes([35, 0]) + struct.pack(">H", sk_len))


def mac(integ, key, data):
    algo, _, icv_len = INTEG[integ]
    h = hmac.HMAC(key, algo())
    h.update(data)
    return h.finalize()[:icv_len]


def python_seal(encr, integ, ek, ak, inner):
    """Protect inner with a random IV and random (valid) padding."""
    if encr == ENCR_AES_GCM_16:
        pad = rng.randrange(0, 16)
        iv = os.urandom(8)
        pt = inner + os.urandom(pad) + bytes([pad])
        total = 32 + 8 + len(pt) + 16
        aad = header(total, total - 28)
        return aad + iv + AESGCM(ek[:-4]).encrypt(ek[-4:] + iv, pt, aad)
    pad = (16 - (len(inner) + 1) % 16) % 16 + 16 * rng.randrange(0, 3)
    iv = os.urandom(16)
    pt = inner + os.urandom(pad) + bytes([pad])
    icv_len = INTEG[integ][2]
    total = 32 + 16 + len(pt) + icv_len
    aad = header(total, total - 28)
    enc = Cipher(algorithms.AES(ek), modes.CBC(iv)).encryptor()
    body = aad + iv + enc.update(pt) + enc.finalize()
    return body + mac(integ, ak, body)


def python_open(encr, integ, ek, ak, msg):
    """Verify and decrypt; returns (inner, pad length) or raises."""
    if encr == ENCR_AES_GCM_16:
        iv = msg[32:40]
        pt = AESGCM(ek[:-4]).decrypt(ek[-4:] + iv, msg[40:], msg[:32])
    else:
        icv_len = INTEG[integ][2]
        if mac(integ, ak, msg[:-icv_len]) != msg[-icv_len:]:
            raise ValueError("ICV mismatch")
        dec = Cipher(algorithms.AES(ek), modes.CBC(msg[32:48])).decryptor()
        pt = dec.update(msg[48:-icv_len]) + dec.finalize()
    pad = pt[-1]
    return pt[:-1 - pad], pad


def main():
    if not os.access(PROBE, os.X_OK):
        print("SKIP: %s not built" % PROBE)
        return 77
    requests, checks = [], []
    for encr, bits, integ in SUITES:
        name = "encr %d/%d integ %d" % (encr, bits, integ)
        ek = os.urandom(bits // 8 + (4 if encr == ENCR_AES_GCM_16 else 0))
        ak = os.urandom(INTEG[integ][1]) if integ else b""
        keys = (encr, bits, integ, ek.hex(), ak.hex())
        for _ in range(ROUNDS):
            inner = os.urandom(rng.randrange(0, 300))
            # 1. Python seals, we open; any flipped bit is refused.
            msg = python_seal(encr, integ, ek, ak, inner)
            requests.append(("open",) + keys + (msg.hex(), 32))
            checks.append(("open", name, inner, encr))
            for pos in (20, 31, 33, len(msg) // 2 + 8, len(msg) - 1):
                bad = bytearray(msg)
                bad[pos] ^= 1 << rng.randrange(8)
                requests.append(("open",) + keys + (bad.hex(), 32))
                checks.append(("flip", "%s: bit flip at %d" % (name, pos), None, None))
            # 2. We seal, Python opens.
            iv_len = 8 if encr == ENCR_AES_GCM_16 else 16
            icv_len = 16 if encr == ENCR_AES_GCM_16 else INTEG[integ][2]
            block = 1 if encr == ENCR_AES_GCM_16 else 16
            pad = (block - (len(inner) + 1) % block) % block
            total = 32 + iv_len + len(inner) + pad + 1 + icv_len
            plain = header(total, total - 28) + bytes(iv_len) + inner + bytes(pad + 1 + icv_len)
            requests.append(("seal",) + keys + (plain.hex(), 32, len(inner)))
            checks.append(("seal", name, (plain, inner, pad, ek, ak, integ), encr))

    checked = 0
    for line, (kind, name, data, encr) in zip(probe(requests), checks):
        if kind == "open":
            got = line.split()
            if got[0] != "ok" or int(got[1]) != (40 if encr == ENCR_AES_GCM_16 else 48) \
                    or bytes.fromhex(got[2] if len(got) > 2 else "") != data:
                fail("%s: our open of a python message: %s" % (name, line[:80]))
        elif kind == "flip":
            if line != "refused SK integrity check failed":
                fail("%s: %s" % (name, line[:80]))
        else:
            plain, inner, pad, ek, ak, integ = data
            sealed = bytes.fromhex(line)
            if sealed[:32] != plain[:32] or len(sealed) != len(plain):
                fail("%s: seal changed the header or the length" % name)
                continue
            try:
                back, got_pad = python_open(encr, integ, ek, ak, sealed)
            except Exception as e:  # InvalidTag, ValueError
                fail("%s: python could not open our message: %r" % (name, e))
                continue
            if back != inner or got_pad != pad:
                fail("%s: python read back %d octets, pad %d (want %d, %d)" % (name, len(back), got_pad,
                                                                              len(inner), pad))
            checked += 1
    print("%d round trips in both directions over %d suites, %d failures" % (checked, len(SUITES), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
