# src/mobile: fragment (filled in by its owner)
