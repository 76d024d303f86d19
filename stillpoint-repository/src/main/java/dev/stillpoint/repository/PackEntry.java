package dev.stillpoint.repository;

/** One blob in a pack: its chunk id, byte range in the pack and plaintext length. */
record PackEntry(ChunkId id, long offset, int length, int rawLength) {}
