package dev.spillway.dataplane.auth;

import dev.spillway.config.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/** A SHA-256 digest as four longs: a cheap map key, with no hex string built per request. */
public record KeyHash(long a, long b, long c, long d) {
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::newDigest);

  public static KeyHash ofSecret(String secret) {
    MessageDigest digest = DIGEST.get();
    return of(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
  }

  public static KeyHash ofHex(String hex) {
    return of(HexFormat.of().parseHex(hex));
  }

  private static KeyHash of(byte[] digest) {
    ByteBuffer buf = ByteBuffer.wrap(digest);
    return new KeyHash(buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong());
  }

  @Override
  public int hashCode() {
    // The bits of a cryptographic digest are already uniformly spread.
    return (int) a;
  }
}
