# src/mip6/move.mk: movement detection engine
