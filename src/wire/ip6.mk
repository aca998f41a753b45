# src/wire/ip6: filled in by its module
