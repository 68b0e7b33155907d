package dev.spillway.dataplane.auth;

import dev.spillway.dataplane.error.GatewayError;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;

/**
 * Finds the virtual key of a request: {@code Authorization: Bearer <key>} (OpenAI SDKs, and the Anthropic SDK with
 * an auth token) or {@code x-api-key: <key>} (Anthropic SDK). Error messages never repeat the key.
 *
 * <p>A replay from the control plane carries the node token as its bearer and the id of the key to charge in
 * {@value #REPLAY_KEY_HEADER}: it is authenticated as that key. The node already trusts the control plane with
 * everything (its whole config), so this grants nothing new. A request with that header and any other credential is
 * refused, so a request that passed authentication with the header is a replay the control plane sent; without the
 * header the node token is no key at all.
 */
public final class Authenticator {
  public static final String KEY_PREFIX = "sk-sw-";
  /** The virtual key (its id) a control-plane replay is charged to. */
  public static final String REPLAY_KEY_HEADER = "x-spillway-replay-key-id";
  /** The logged request a control-plane replay repeats. */
  public static final String REPLAY_OF_HEADER = "x-spillway-replay-of";

  private Authenticator() {}

  public static VirtualKeyTable.Entry authenticate(HttpHeaders headers, VirtualKeyTable keys) {
    String secret = secret(headers);
    if (secret == null) {
      throw GatewayError.INVALID_API_KEY.exception("missing virtual key: send Authorization: Bearer sk-sw-… "
          + "or x-api-key: sk-sw-…");
    }
    String replayKey = headers.get(REPLAY_KEY_HEADER);
    if (replayKey != null) {
      return keys.authenticateReplay(secret, replayKey.strip(), Instant.now()).orElseThrow(() -> GatewayError
          .INVALID_API_KEY.exception("invalid replay: " + REPLAY_KEY_HEADER + " is for the control plane's node "
              + "token, and names an active key"));
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
