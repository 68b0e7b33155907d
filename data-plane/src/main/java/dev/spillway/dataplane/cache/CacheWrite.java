package dev.spillway.dataplane.cache;

import dev.spillway.config.CacheMode;

/**
 * What storing a missed request's answer needs, made by the lookup and carried through the exchange to the settle
 * stage ({@link dev.spillway.dataplane.exchange.CacheResult#write()}).
 */
final class CacheWrite {
  final String teamId;
  final String keyId;
  final String model;
  final RequestFingerprint fingerprint;
  final CacheMode mode;
  final long ttlSeconds;
  /** The normalised last user message when the entry is stored for semantic lookups, else null. */
  final String normalisedPrompt;
  /** Its embedding, when the lookup made one (else the writer makes it). */
  volatile float[] embedding;

  CacheWrite(String teamId, String keyId, String model, RequestFingerprint fingerprint, CacheMode mode,
      long ttlSeconds, String normalisedPrompt) {
    this.teamId = teamId;
    this.keyId = keyId;
    this.model = model;
    this.fingerprint = fingerprint;
    this.mode = mode;
    this.ttlSeconds = ttlSeconds;
    this.normalisedPrompt = normalisedPrompt;
  }

  @Override
  public String toString() {
    return "CacheWrite[team=" + teamId + ", model=" + model + ", mode=" + mode + ", ttl=" + ttlSeconds + "s]";
  }
}
