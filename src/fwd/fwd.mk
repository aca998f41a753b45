# src/fwd/fwd.mk: data path and packet I/O
