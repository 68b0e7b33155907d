/**
 * The config snapshot that the control plane publishes and every data-plane node applies.
 *
 * <p>A snapshot is one immutable, versioned, self-consistent value: {@link dev.spillway.config.SnapshotConfig}
 * and the records it holds. {@link dev.spillway.config.SnapshotCodec} gives its canonical JSON encoding (the
 * bytes that are hashed, gzipped and sent), {@link dev.spillway.config.SnapshotValidator} refuses dangling
 * references, and {@link dev.spillway.config.SealedSecret} encrypts provider credentials for the nodes so
 * they are never plaintext on the wire or on a node's disk.
 *
 * <p>This module depends on Jackson only: no Spring, no Netty.
 */
package dev.spillway.config;
