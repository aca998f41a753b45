# src/ipsec: ESP, SAD, SPD
