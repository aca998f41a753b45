# src/crypto/ike_crypto: IKEv2 cryptography (RFC 7296) on OpenSSL EVP
libm6_a_SOURCES += src/crypto/ike_crypto.h
