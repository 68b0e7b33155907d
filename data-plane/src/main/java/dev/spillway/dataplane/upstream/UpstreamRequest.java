package dev.spillway.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.util.Objects;

/**
 * One request to a provider. The request owns {@code body} until it is handed to {@link Upstream#call}, which then
 * owns it and releases it on every path.
 *
 * @param uri      absolute URI (scheme, host, port, path and query)
 * @param headers  headers to send, credentials included; never logged
 * @param timeouts the deadlines for this exchange
 */
public record UpstreamRequest(HttpMethod method, URI uri, HttpHeaders headers, ByteBuf body, Timeouts timeouts) {
  public UpstreamRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(timeouts, "timeouts");
  }

  /** Deadlines in milliseconds: connect, first response byte after sending, gap between chunks, whole exchange. */
  public record Timeouts(long connectMs, long firstByteMs, long idleMs, long totalMs) {}

  public String pathAndQuery() {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
  }

  @Override
  public String toString() {
    return "UpstreamRequest[" + method + " " + uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort()
        + uri.getRawPath() + "]";
  }
}
