package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.provider.ProviderRuntime;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.GoldenFiles;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Shared pieces of the Bedrock and Gemini golden-file tests. Run with {@code -Dspillway.golden.write=true} to
 * rewrite the expected files from what the code produces now (then review the diff before committing it).
 */
public final class ProviderGolden {
  public static final JsonMapper JSON = JsonMapper.builder().build();
  public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
  public static final UpstreamRequest.Timeouts TIMEOUTS = new UpstreamRequest.Timeouts(1000, 1000, 1000, 5000);

  private ProviderGolden() {}

  public static ProviderRuntime runtime(ProviderType type, String baseUrl, Map<String, String> settings, String secret) {
    return new ProviderRuntime(new ProviderConfig("prov-" + type.wireName(), type.wireName(), type, baseUrl, List.of(),
        settings, null), URI.create(baseUrl), List.of(new ProviderRuntime.Credential("k0", 1, secret)));
  }

  public static ChatCall call(ObjectNode canonical) {
    return new ChatCall(InboundApi.OPENAI_CHAT, canonical, canonical, canonical.path("stream").asBoolean(false),
        canonical.path("stream_options").path("include_usage").asBoolean(false), "route");
  }

  public static Supplier<String> counter(String prefix) {
    int[] n = {0};
    return () -> prefix + (++n[0]);
  }

  /** The request's body as JSON, releasing it. */
  public static JsonNode body(UpstreamRequest request) {
    try {
      return JSON.readTree(request.body().toString(java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      request.body().release();
    }
  }

  /** Compares, or with {@code spillway.golden.write} rewrites the expected file. */
  public static void assertGolden(String folder, String name, JsonNode actual, JsonNode expected) {
    if (Boolean.getBoolean("spillway.golden.write")) {
      try {
        Files.writeString(Path.of("src/test/resources" + folder, name + ".expected.json"),
            GoldenFiles.normalized(actual) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    assertThat(GoldenFiles.normalized(actual)).as(name).isEqualTo(GoldenFiles.normalized(expected));
  }

  /** Everything a stream decoder emits for {@code bytes} fed in the given pieces, then its finish. */
  public static ArrayNode decode(Supplier<ChatStreamDecoder> decoders, byte[] bytes, List<Integer> pieces) {
    ChatStreamDecoder decoder = decoders.get();
    ArrayNode chunks = JSON.createArrayNode();
    int offset = 0;
    for (int size : pieces) {
      ByteBuf piece = Unpooled.wrappedBuffer(bytes, offset, size);
      try {
        decoder.decode(piece, chunks::add);
        assertThat(piece.isReadable()).as("the decoder consumes its input").isFalse();
      } finally {
        piece.release();
      }
      offset += size;
    }
    decoder.finish(chunks::add);
    return chunks;
  }

  public static List<Integer> whole(byte[] bytes) {
    return List.of(bytes.length);
  }

  public static List<Integer> byteByByte(byte[] bytes) {
    List<Integer> pieces = new ArrayList<>();
    for (int i = 0; i < bytes.length; i++) {
      pieces.add(1);
    }
    return pieces;
  }

  /** Pieces of random sizes (1 to 40 bytes), reproducible by seed. */
  public static List<Integer> randomSplits(byte[] bytes, long seed) {
    Random random = new Random(seed);
    List<Integer> pieces = new ArrayList<>();
    int left = bytes.length;
    while (left > 0) {
      int size = Math.min(left, 1 + random.nextInt(40));
      pieces.add(size);
      left -= size;
    }
    return pieces;
  }
}
