# src/io/mip6io.mk: Mobile IPv6 packet I/O (HAO/RH2 raw sockets, nft rule)
