package dev.spillway.dataplane.tracing;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.metrics.Endpoint;
import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attribute names spans carry: OpenTelemetry semantic conventions {@value #SEMCONV_VERSION} (GenAI, HTTP,
 * server, error) and Spillway's own under {@code spillway.}. Written out here rather than taken from the incubating
 * semconv artifact: the GenAI conventions are still in development and rename things between versions, so the node
 * pins one version and says so in its schema URL.
 */
public final class GenAiAttributes {
  private GenAiAttributes() {}

  /** The semantic conventions version the spans follow. */
  public static final String SEMCONV_VERSION = "1.38.0";
  /** The schema URL of that version, set on the node's tracer (the instrumentation scope). */
  public static final String SCHEMA_URL = "https://opentelemetry.io/schemas/" + SEMCONV_VERSION;

  // GenAI (gen_ai.*)
  public static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
  public static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
  public static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  public static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  public static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  public static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
  public static final AttributeKey<Long> CACHE_READ_INPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
  public static final AttributeKey<List<String>> FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  // Content, as JSON strings (SpanContentWriter): only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
  // and a content policy that keeps content, redacted under the redacted policy.
  public static final AttributeKey<String> SYSTEM_INSTRUCTIONS = AttributeKey.stringKey("gen_ai.system_instructions");
  public static final AttributeKey<String> INPUT_MESSAGES = AttributeKey.stringKey("gen_ai.input.messages");
  public static final AttributeKey<String> OUTPUT_MESSAGES = AttributeKey.stringKey("gen_ai.output.messages");

  // HTTP, server, error
  public static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
  public static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  public static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
      AttributeKey.longKey("http.response.status_code");
  public static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  public static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  // Spillway's own. No secret ever: key and team are ids, never the key itself.
  public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("spillway.request_id");
  public static final AttributeKey<String> KEY_ID = AttributeKey.stringKey("spillway.key_id");
  public static final AttributeKey<String> TEAM_ID = AttributeKey.stringKey("spillway.team_id");
  public static final AttributeKey<String> ROUTE = AttributeKey.stringKey("spillway.route");
  public static final AttributeKey<String> CACHE = AttributeKey.stringKey("spillway.cache");
  public static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("spillway.attempts");
  /** The configured provider's name (its slug), beside the semconv provider family. */
  public static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("spillway.provider");
  /** {@code first}, {@code retry} or {@code fallback}. */
  public static final AttributeKey<String> ATTEMPT_KIND = AttributeKey.stringKey("spillway.attempt");
  /** Content the policy keeps was left off the span: over the cap, redaction out of time, or the writer's queue full. */
  public static final AttributeKey<Boolean> CONTENT_DROPPED = AttributeKey.booleanKey("spillway.content_dropped");
  /** Time to the first streamed chunk, in milliseconds from the span's start. */
  public static final AttributeKey<Double> TTFT_MS = AttributeKey.doubleKey("spillway.ttft_ms");

  /**
   * {@code gen_ai.operation.name} of an endpoint: {@code chat} for every chat API (chat completions, Responses,
   * Anthropic messages), {@code text_completion}, {@code embeddings}; token counting has no semconv name and gets
   * Spillway's {@code count_tokens}.
   */
  public static String operationName(Endpoint endpoint) {
    return switch (endpoint) {
      case COMPLETIONS -> "text_completion";
      case EMBEDDINGS -> "embeddings";
      case COUNT_TOKENS -> "count_tokens";
      default -> "chat";
    };
  }

  /**
   * {@code gen_ai.provider.name} of a configured provider, from the conventions' well-known values; an
   * OpenAI-compatible server (vLLM, Ollama, Groq, a proxy, …) is not OpenAI and has no well-known value: it is named
   * as configured ({@code spillway.provider} always carries that name).
   */
  public static String providerName(ProviderType type, String configuredName) {
    return switch (type) {
      case OPENAI -> "openai";
      case AZURE_OPENAI -> "azure.ai.openai";
      case ANTHROPIC -> "anthropic";
      case BEDROCK -> "aws.bedrock";
      case GEMINI -> "gcp.gemini";
      case OPENAI_COMPATIBLE -> configuredName;
      case MOCK -> "spillway.mock";
    };
  }
}
