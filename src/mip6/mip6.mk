# src/mip6: home agent and mobile node engines
