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
