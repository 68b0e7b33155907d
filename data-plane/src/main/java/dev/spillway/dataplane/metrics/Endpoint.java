package dev.spillway.dataplane.metrics;

/**
 * The endpoints a node serves, as a fixed metric label: a request path outside this set is counted as
 * {@link #OTHER}, so a client probing random URLs cannot create new time series.
 */
public enum Endpoint {
  CHAT_COMPLETIONS("/v1/chat/completions"),
  COMPLETIONS("/v1/completions"),
  EMBEDDINGS("/v1/embeddings"),
  RESPONSES("/v1/responses"),
  MESSAGES("/v1/messages"),
  COUNT_TOKENS("/v1/messages/count_tokens"),
  MODELS("/v1/models"),
  HEALTHZ("/healthz"),
  READYZ("/readyz"),
  OTHER("other");

  private final String label;

  Endpoint(String label) {
    this.label = label;
  }

  /** The {@code endpoint} label value. */
  public String label() {
    return label;
  }

  /** The endpoint of a request path (without its query string). */
  public static Endpoint of(String path) {
    return switch (path) {
      case "/v1/chat/completions" -> CHAT_COMPLETIONS;
      case "/v1/completions" -> COMPLETIONS;
      case "/v1/embeddings" -> EMBEDDINGS;
      case "/v1/responses" -> RESPONSES;
      case "/v1/messages" -> MESSAGES;
      case "/v1/messages/count_tokens" -> COUNT_TOKENS;
      case "/v1/models" -> MODELS;
      case "/healthz" -> HEALTHZ;
      case "/readyz" -> READYZ;
      default -> OTHER;
    };
  }
}
