package dev.spillway.config;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM sealing of short secrets (provider API keys), bound to a context string (AAD) such as
 * {@code provider:<id>:key:<name>} so a sealed value cannot be moved to another place.
 *
 * <p>Two modes:
 * <ul>
 *   <li>{@link #atRest(byte[])}: a random 96-bit nonce per value; used by the control plane for values in
 *       PostgreSQL, under {@code SPILLWAY_SECRET_KEY}.</li>
 *   <li>{@link #forNodes(String)}: a synthetic nonce, HMAC-SHA-256(mac key, context, plaintext), so the same
 *       config seals to the same bytes and snapshots of the same version hash alike on every control-plane
 *       replica. Reusing a nonce only ever happens for an identical (context, plaintext) pair, which reveals
 *       equality and nothing else. The keys derive from the node token that nodes and control plane share.</li>
 * </ul>
 * Format: {@code v1.} + base64url(nonce ‖ ciphertext ‖ tag).
 */
public final class SealedSecret {
  private static final String PREFIX = "v1.";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec encryptionKey;
  private final SecretKeySpec nonceKey;

  private SealedSecret(byte[] encryptionKey, byte[] nonceKey) {
    this.encryptionKey = new SecretKeySpec(encryptionKey, "AES");
    this.nonceKey = nonceKey == null ? null : new SecretKeySpec(nonceKey, "HmacSHA256");
  }

  /** Random-nonce sealing under a 32-byte master key. */
  public static SealedSecret atRest(byte[] masterKey) {
    Objects.requireNonNull(masterKey, "masterKey");
    if (masterKey.length != 32) {
      throw new IllegalArgumentException("masterKey: " + masterKey.length + " bytes (expected: 32)");
    }
    return new SealedSecret(masterKey.clone(), null);
  }

  /** Deterministic sealing under keys derived from the node token. */
  public static SealedSecret forNodes(String nodeToken) {
    Objects.requireNonNull(nodeToken, "nodeToken");
    if (nodeToken.length() < 16) {
      throw new IllegalArgumentException("nodeToken: " + nodeToken.length() + " chars (expected: >= 16)");
    }
    byte[] secret = nodeToken.getBytes(StandardCharsets.UTF_8);
    return new SealedSecret(hmac(secret, "spillway/node-seal/v1/encryption"),
        hmac(secret, "spillway/node-seal/v1/nonce"));
  }

  public String seal(String plaintext, String context) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(context, "context");
    byte[] plain = plaintext.getBytes(StandardCharsets.UTF_8);
    byte[] aad = context.getBytes(StandardCharsets.UTF_8);
    byte[] nonce = nonceKey == null ? randomNonce() : syntheticNonce(aad, plain);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /** Opens a sealed value; throws {@link IllegalArgumentException} when it was tampered with or sealed elsewhere. */
  public String open(String sealed, String context) {
    Objects.requireNonNull(sealed, "sealed");
    Objects.requireNonNull(context, "context");
    if (!sealed.startsWith(PREFIX)) {
      throw new IllegalArgumentException("sealed value has an unknown format");
    }
    byte[] data;
    try {
      data = Base64.getUrlDecoder().decode(sealed.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("sealed value is not base64url");
    }
    if (data.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("sealed value is too short");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException("sealed value does not open with this key and context");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  private byte[] syntheticNonce(byte[] aad, byte[] plain) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(nonceKey);
      mac.update(ByteBuffer.allocate(4).putInt(aad.length).array());
      mac.update(aad);
      mac.update(plain);
      return Arrays.copyOf(mac.doFinal(), NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static byte[] randomNonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  private static byte[] hmac(byte[] key, String label) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "SealedSecret[" + (nonceKey == null ? "at-rest" : "for-nodes") + "]";
  }
}
