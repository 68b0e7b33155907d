package dev.spillway.config;

import java.util.Objects;

/**
 * A snapshot as it travels and rests: gzipped canonical JSON plus the SHA-256 of the uncompressed bytes.
 *
 * @param version    the config version inside
 * @param sha256     lower-case hex SHA-256 of the canonical (uncompressed) JSON
 * @param gzipped    the canonical JSON, gzipped
 * @param rawSize    length of the canonical JSON in bytes
 */
public record EncodedSnapshot(long version, String sha256, byte[] gzipped, int rawSize) {
  public EncodedSnapshot {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(gzipped, "gzipped");
  }

  @Override
  public String toString() {
    return "EncodedSnapshot[version=" + version + ", sha256=" + sha256 + ", gzipped=" + gzipped.length
        + " bytes, raw=" + rawSize + " bytes]";
  }
}
