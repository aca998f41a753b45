# src/mip6/disc.mk: DHAAD and mobile prefix discovery engines
