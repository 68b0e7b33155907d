package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.Adapters;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.protocol.anthropic.AnthropicAdapter;
import dev.spillway.dataplane.protocol.bedrock.BedrockAdapter;
import dev.spillway.dataplane.protocol.gemini.GeminiAdapter;
import dev.spillway.dataplane.protocol.openai.OpenAiAdapter;
import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import java.util.EnumMap;
import java.util.Map;

/** The adapter of every provider type. Add an adapter here to support a new provider API. */
public final class ProviderAdapters {
  private ProviderAdapters() {}

  public static Adapters all(UpstreamRequest.Timeouts defaults) {
    Map<ProviderType, ProviderAdapter> byType = new EnumMap<>(ProviderType.class);
    OpenAiAdapter openAi = new OpenAiAdapter(defaults);
    byType.put(ProviderType.OPENAI, openAi);
    byType.put(ProviderType.AZURE_OPENAI, openAi);
    byType.put(ProviderType.OPENAI_COMPATIBLE, openAi);
    byType.put(ProviderType.MOCK, openAi);
    byType.put(ProviderType.ANTHROPIC, new AnthropicAdapter(defaults));
    byType.put(ProviderType.BEDROCK, new BedrockAdapter(defaults));
    byType.put(ProviderType.GEMINI, new GeminiAdapter(defaults));
    return new Adapters(byType);
  }
}
