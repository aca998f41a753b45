# tests/mobility: the Mobile IPv6 network-namespace lab and its end-to-end
# tests (docs/MOBILITY-LAB.md). Each runs as root (exit 77 otherwise) in
# under a minute; lab.sh and the lab_*.py helpers are shared, not tests.
MOBILITY_TESTS = \
	tests/mobility/lab-topology.sh \
	tests/mobility/register.sh \
	tests/mobility/refresh.sh \
	tests/mobility/expiry.sh \
	tests/mobility/handover-tcp.sh \
	tests/mobility/handover-tcp-esp.sh \
	tests/mobility/return-home.sh \
	tests/mobility/home-host.sh \
	tests/mobility/dad-conflict.sh \
	tests/mobility/dhaad.sh \
	tests/mobility/prefix-solicit.sh \
	tests/mobility/bu-retransmit.sh \
	tests/mobility/bu-replay.sh \
	tests/mobility/bu-foreign-hoa.sh \
	tests/mobility/bu-unprotected.sh \
	tests/mobility/restart.sh \
	tests/mobility/tshark-mip6.sh \
	tests/mobility/tshark-mip6-esp.sh \
	tests/mobility/ipsec-state.sh \
	tests/mobility/binding-error.sh \
	tests/mobility/reload.sh \
	tests/mobility/ike-register.sh \
	tests/mobility/ike-handover.sh \
	tests/mobility/ike-foreign-hoa.sh \
	tests/mobility/ike-return-home.sh \
	tests/mobility/ike-reload.sh
TESTS += $(MOBILITY_TESTS)
EXTRA_DIST += $(MOBILITY_TESTS) \
	tests/mobility/lab.sh \
	tests/mobility/lab_conf.py \
	tests/mobility/lab_gaps.py \
	tests/mobility/lab_pkt.py \
	tests/mobility/lab_tshark.py \
	etc/examples/lab/home-agent.conf \
	etc/examples/lab/mobile-node.conf \
	etc/examples/lab/home-agent-ike.conf \
	etc/examples/lab/mobile-node-ike.conf \
	etc/examples/lab/home-agent-ike-psk.conf \
	etc/examples/lab/mobile-node-ike-psk.conf \
	bench/handover.sh
