# tests/netns
