package dev.spillway.controlplane.security;

import java.security.SecureRandom;

/** Random secrets in base62, easy to copy and free of characters that need quoting. */
public final class RandomTokens {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  private RandomTokens() {}

  /** {@code prefix} followed by {@code length} base62 characters (43 characters carry > 256 bits). */
  public static String generate(String prefix, int length) {
    StringBuilder sb = new StringBuilder(prefix.length() + length).append(prefix);
    for (int i = 0; i < length; i++) {
      sb.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    }
    return sb.toString();
  }
}
