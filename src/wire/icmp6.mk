# src/wire/icmp6: filled in by its module
