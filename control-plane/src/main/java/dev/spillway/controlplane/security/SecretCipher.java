package dev.spillway.controlplane.security;

import dev.spillway.config.SealedSecret;
import dev.spillway.controlplane.SpillwayProperties;
import java.util.Base64;
import java.util.HexFormat;
import org.springframework.stereotype.Component;

/**
 * Seals provider keys at rest under {@code SPILLWAY_SECRET_KEY}, and re-seals them for the nodes under the node
 * token when a snapshot is built. Plaintext exists only in memory, briefly.
 */
@Component
public class SecretCipher {
  /** Keeps session-sealed values from opening as provider keys, and the other way round. */
  private static final String SESSION_CONTEXT = "dashboard-session:";

  private final SealedSecret atRest;
  private final SealedSecret forNodes;

  public SecretCipher(SpillwayProperties props) {
    this.atRest = SealedSecret.atRest(parseMasterKey(props.secretKey()));
    if (props.nodeToken() == null || props.nodeToken().length() < 16) {
      throw new IllegalStateException("SPILLWAY_NODE_TOKEN must be set to at least 16 characters");
    }
    this.forNodes = SealedSecret.forNodes(props.nodeToken());
  }

  public String sealAtRest(String plaintext, String context) {
    return atRest.seal(plaintext, context);
  }

  /** Opens a value sealed at rest and seals it for the nodes, without returning the plaintext. */
  public String resealForNodes(String sealedAtRest, String context) {
    return forNodes.seal(atRest.open(sealedAtRest, context), context);
  }

  /** A value sealed at rest again, with the short hint the API shows (null for short values). */
  public record Resealed(String sealedAtRest, String hint) {}

  /**
   * Opens a value sealed for the nodes (a stored snapshot's provider key) and seals it at rest, for a restore.
   * Throws {@link IllegalArgumentException} when the node token has changed since that snapshot was built.
   */
  public Resealed resealAtRestFromNodes(String sealedForNodes, String context) {
    String plain = forNodes.open(sealedForNodes, context);
    return new Resealed(atRest.seal(plain, context), hint(plain));
  }

  /**
   * Lends the plaintext of a value sealed at rest to {@code use} (a connection test); the plaintext is not kept
   * and {@code use} must not return or log it.
   */
  public <T> T withOpened(String sealedAtRest, String context, java.util.function.Function<String, T> use) {
    return use.apply(atRest.open(sealedAtRest, context));
  }

  /**
   * Seals a secret for a short stay in a dashboard session: a new virtual key's secret on its way from the action
   * that issued it to the page that shows it once. Sessions are stored in PostgreSQL, and the database must never
   * hold a key's plaintext, not even for the moment between a redirect and the page.
   */
  public String sealForSession(String plaintext, String context) {
    return atRest.seal(plaintext, SESSION_CONTEXT + context);
  }

  /** Opens what {@link #sealForSession} sealed under the same context, to show it on the page. */
  public String openFromSession(String sealed, String context) {
    return atRest.open(sealed, SESSION_CONTEXT + context);
  }

  /** Opens a value sealed at rest; only for comparing a declared secret with the stored one. */
  public boolean matchesAtRest(String sealedAtRest, String context, String candidate) {
    return java.security.MessageDigest.isEqual(
        atRest.open(sealedAtRest, context).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Last four characters, and only of values long enough that four characters reveal little. */
  public static String hint(String value) {
    return value.length() >= 16 ? value.substring(value.length() - 4) : null;
  }

  /** Accepts 32 bytes as base64 (standard or url-safe) or as 64 hex characters. */
  static byte[] parseMasterKey(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("SPILLWAY_SECRET_KEY is not set (32 random bytes, base64 or hex; "
          + "./spillway up generates one)");
    }
    String v = value.strip();
    byte[] key = null;
    if (v.matches("[0-9a-fA-F]{64}")) {
      key = HexFormat.of().parseHex(v);
    } else {
      try {
        key = v.contains("-") || v.contains("_") ? Base64.getUrlDecoder().decode(v) : Base64.getDecoder().decode(v);
      } catch (IllegalArgumentException e) {
        key = null;
      }
    }
    if (key == null || key.length != 32) {
      throw new IllegalStateException("SPILLWAY_SECRET_KEY must be 32 bytes, as base64 or 64 hex characters");
    }
    return key;
  }
}
