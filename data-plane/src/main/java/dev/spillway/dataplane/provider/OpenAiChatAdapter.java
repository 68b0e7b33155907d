package dev.spillway.dataplane.provider;

import dev.spillway.config.ProviderType;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI chat completions to providers that speak the same API: {@code openai}, {@code openai-compatible} and the
 * in-process {@code mock}. The body passes through with {@code model} set to the upstream model; credentials go in
 * {@code Authorization: Bearer} (or the header an {@code openai-compatible} provider names).
 */
public final class OpenAiChatAdapter {
  private static final URI MOCK_URI = URI.create("http://mock.invalid/v1");

  private final UpstreamRequest.Timeouts defaults;

  public OpenAiChatAdapter(UpstreamRequest.Timeouts defaults) {
    this.defaults = defaults;
  }

  public UpstreamRequest chatCompletions(ProviderRuntime provider, String upstreamModel, ObjectNode body) {
    body.put("model", upstreamModel);
    byte[] bytes = Json.bytes(body);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.set(HttpHeaderNames.ACCEPT, body.path("stream").asBoolean(false) ? "text/event-stream, application/json"
        : "application/json");
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    ProviderRuntime.Credential credential = provider.pickCredential();
    if (credential != null) {
      String header = provider.config().setting("auth_header", "Authorization");
      String scheme = provider.config().setting("auth_scheme", "Bearer");
      headers.set(header, scheme.isEmpty() ? credential.secret() : scheme + " " + credential.secret());
    }
    if (provider.type() == ProviderType.OPENAI) {
      copySetting(provider, "organization", "OpenAI-Organization", headers);
      copySetting(provider, "project", "OpenAI-Project", headers);
    }
    URI base = provider.baseUri();
    if (provider.type() == ProviderType.MOCK) {
      base = MOCK_URI;
      copySetting(provider, "latency_ms", MockUpstream.LATENCY_HEADER, headers);
      copySetting(provider, "stream_chunks", MockUpstream.CHUNKS_HEADER, headers);
      copySetting(provider, "chunk_delay_ms", MockUpstream.CHUNK_DELAY_HEADER, headers);
      copySetting(provider, "reply", MockUpstream.REPLY_HEADER, headers);
    }
    URI uri = URI.create(base.toString() + "/chat/completions");
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(bytes),
        timeouts(provider.config().timeouts()));
  }

  private UpstreamRequest.Timeouts timeouts(TimeoutsConfig configured) {
    if (configured == null) {
      return defaults;
    }
    return new UpstreamRequest.Timeouts(
        configured.connectMs() > 0 ? configured.connectMs() : defaults.connectMs(),
        configured.firstByteMs() > 0 ? configured.firstByteMs() : defaults.firstByteMs(),
        configured.idleMs() > 0 ? configured.idleMs() : defaults.idleMs(),
        configured.totalMs() > 0 ? configured.totalMs() : defaults.totalMs());
  }

  private static void copySetting(ProviderRuntime provider, String setting, String header, HttpHeaders headers) {
    String value = provider.config().settings().get(setting);
    if (value != null && !value.isEmpty()) {
      headers.set(header, value);
    }
  }
}
