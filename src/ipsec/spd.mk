# src/ipsec/spd.mk: SPD, ipsecdb, listings
