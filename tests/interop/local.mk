# tests/interop: ESP against tshark and scapy
