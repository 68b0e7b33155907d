package dev.spillway.dataplane.server;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids: a client's own {@code x-request-id} when it is sane, else a random one. */
final class RequestIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  static String fromHeaderOrNew(String header) {
    return header != null && isAcceptable(header) ? header : generate();
  }

  static boolean isAcceptable(String id) {
    if (id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
          || c == '_' || c == '.' || c == ':';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static String generate() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[4 + 24];
    id[0] = 'r';
    id[1] = 'e';
    id[2] = 'q';
    id[3] = '_';
    long a = random.nextLong();
    long b = random.nextLong();
    for (int i = 0; i < 16; i++) {
      id[4 + i] = HEX[(int) (a >>> (i * 4)) & 0xf];
    }
    for (int i = 0; i < 8; i++) {
      id[20 + i] = HEX[(int) (b >>> (i * 4)) & 0xf];
    }
    return new String(id);
  }
}
