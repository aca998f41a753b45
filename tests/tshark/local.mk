# tests/tshark
