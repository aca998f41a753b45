# src/crypto: the only code that includes OpenSSL
libm6_a_SOURCES += \
	src/crypto/aead.c src/crypto/aead.h \
	src/crypto/crypto.c src/crypto/crypto.h \
	src/crypto/xform.c src/crypto/xform.h
