# tests/netns: scripts that run the built daemon (network namespaces need
# root and skip with 77 otherwise).
TESTS += tests/netns/daemon-lifecycle.sh tests/netns/man-page.sh tests/netns/daemon-recovery.sh
EXTRA_DIST += tests/netns/daemon-lifecycle.sh tests/netns/man-page.sh tests/netns/daemon-recovery.sh
