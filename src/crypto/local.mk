# src/crypto: the only code that includes OpenSSL
