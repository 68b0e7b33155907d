package dev.spillway.dataplane.auth;

import dev.spillway.dataplane.error.GatewayError;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;

/**
 * Finds the virtual key of a request: {@code Authorization: Bearer <key>} (OpenAI SDKs, and the Anthropic SDK with
 * an auth token) or {@code x-api-key: <key>} (Anthropic SDK). Error messages never repeat the key.
 */
public final class Authenticator {
  public static final String KEY_PREFIX = "sk-sw-";

  private Authenticator() {}

  public static VirtualKeyTable.Entry authenticate(HttpHeaders headers, VirtualKeyTable keys) {
    String secret = secret(headers);
    if (secret == null) {
      throw GatewayError.INVALID_API_KEY.exception("missing virtual key: send Authorization: Bearer sk-sw-… "
          + "or x-api-key: sk-sw-…");
    }
    if (!secret.startsWith(KEY_PREFIX) || secret.length() > 200) {
      throw GatewayError.INVALID_API_KEY.exception("invalid virtual key: Spillway keys start with " + KEY_PREFIX);
    }
    return keys.authenticate(secret, Instant.now()).orElseThrow(() -> GatewayError.INVALID_API_KEY
        .exception("invalid virtual key: unknown, revoked or expired"));
  }

  private static String secret(HttpHeaders headers) {
    String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String value = authorization.substring(7).strip();
      return value.isEmpty() ? null : value;
    }
    String apiKey = headers.get("x-api-key");
    if (apiKey != null && !apiKey.isBlank()) {
      return apiKey.strip();
    }
    return null;
  }
}
