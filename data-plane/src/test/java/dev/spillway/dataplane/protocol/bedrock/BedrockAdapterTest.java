package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.protocol.ProviderGolden;
import dev.spillway.dataplane.provider.ProviderRuntime;
import static dev.spillway.dataplane.protocol.ProviderGolden.CLOCK;
import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static dev.spillway.dataplane.protocol.ProviderGolden.TIMEOUTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.testsupport.FakeBedrock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import tools.jackson.databind.node.ObjectNode;

/** The bedrock adapter's refusals, its SigV4 and API-key auth, and its stream decoder's failure paths. */
class BedrockAdapterTest {
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  private static final Pattern AUTHORIZATION = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=(\\w+)/(\\d{8})/([\\w-]+)/bedrock/aws4_request, SignedHeaders=([a-z0-9;-]+), "
          + "Signature=([0-9a-f]{64})");

  private final BedrockAdapter adapter = new BedrockAdapter(TIMEOUTS, CLOCK, () -> "chatcmpl-test");

  private static ProviderRuntime provider(Map<String, String> settings, String secret) {
    return ProviderGolden.runtime(ProviderType.BEDROCK, "https://bedrock-runtime.us-west-2.amazonaws.com", settings,
        secret);
  }

  private static ObjectNode chat(String messagesJson) {
    return (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":" + messagesJson + "}");
  }

  private UpstreamRequest send(ProviderRuntime provider, ObjectNode canonical) {
    UpstreamRequest request = adapter.chat(provider, "anthropic.claude-3-haiku-20240307-v1:0",
        ProviderGolden.call(canonical));
    request.body().release();
    return request;
  }

  private GatewayException refusal(ObjectNode canonical) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> send(
        provider(Map.of("access_key_id", "AKIDEXAMPLE"), SECRET), canonical));
    assertThat(thrown).isInstanceOf(GatewayException.class);
    GatewayException e = (GatewayException) thrown;
    assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
    return e;
  }

  @Test
  void refusesImageLinksWithA400ThatSaysToSendDataUrls() {
    GatewayException e = refusal(chat("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]"));

    assertThat(e.param()).isEqualTo("messages[0].content[1].image_url.url");
    assertThat(e.getMessage()).contains("data: URLs", "not links");
  }

  @Test
  void refusesWhatConverseCannotExpress() {
    assertThat(refusal((ObjectNode) chat("[{\"role\":\"user\",\"content\":\"x\"}]").put("n", 2)).param())
        .isEqualTo("n");
    assertThat(refusal(chat("[{\"role\":\"function\",\"name\":\"f\",\"content\":\"x\"}]")).param())
        .isEqualTo("messages[0].role");
    assertThat(refusal(chat("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + "\"data:image/bmp;base64,Qk0=\"}}]}]")).getMessage()).contains("image/bmp");
    assertThat(refusal(chat("[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{}}]}]"))
        .param()).isEqualTo("messages[0].content[0].type");
    assertThat(refusal(chat("[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":\"{not json\"}}]}]")).param())
        .isEqualTo("messages[0].tool_calls[0].function.arguments");
    ObjectNode wrongChoice = chat("[{\"role\":\"user\",\"content\":\"x\"}]");
    wrongChoice.set("tools", JSON.readTree("[{\"type\":\"function\",\"function\":{\"name\":\"a\"}}]"));
    wrongChoice.set("tool_choice", JSON.readTree("{\"type\":\"function\",\"function\":{\"name\":\"b\"}}"));
    assertThat(refusal(wrongChoice).param()).isEqualTo("tool_choice");
  }

  @Test
  void signsTheExactBytesItSendsWithSigV4ForBedrockInTheConfiguredRegion() {
    UpstreamRequest request = adapter.chat(provider(Map.of("access_key_id", "AKIDEXAMPLE", "region", "eu-central-1"),
        SECRET), "anthropic.claude-3-haiku-20240307-v1:0", ProviderGolden.call(chat("[{\"role\":\"user\","
        + "\"content\":\"hi\"}]")));
    byte[] body = bytes(request);

    Matcher m = AUTHORIZATION.matcher(request.headers().get("Authorization"));
    assertThat(m.matches()).as(request.headers().get("Authorization")).isTrue();
    assertThat(m.group(1)).isEqualTo("AKIDEXAMPLE");
    assertThat(m.group(2)).isEqualTo("20261125");
    assertThat(m.group(3)).isEqualTo("eu-central-1");
    assertThat(m.group(4).split(";")).contains("accept", "content-type", "host", "x-amz-date")
        .doesNotContain("user-agent");
    assertThat(request.headers().get("X-Amz-Date")).isEqualTo("20261125T120000Z");
    assertThat(request.headers().get("Host")).as("the upstream client sets Host").isNull();
    assertThat(request.headers().toString()).doesNotContain(SECRET);
    assertThat(resign(request, body, SECRET)).isEqualTo(m.group(5));
    byte[] tampered = body.clone();
    tampered[tampered.length - 3] ^= 1;
    assertThat(resign(request, tampered, SECRET)).as("the payload hash is part of the signature")
        .isNotEqualTo(m.group(5));
  }

  @Test
  void takesTheRegionFromTheEndpointHostWhenNotConfigured() {
    ProviderRuntime byHost = ProviderGolden.runtime(ProviderType.BEDROCK,
        "https://bedrock-runtime.ap-southeast-2.amazonaws.com", Map.of(), SECRET);
    ProviderRuntime custom = ProviderGolden.runtime(ProviderType.BEDROCK, "http://127.0.0.1:9", Map.of(), SECRET);

    assertThat(BedrockAdapter.region(byHost)).isEqualTo("ap-southeast-2");
    assertThat(BedrockAdapter.region(custom)).isEqualTo("us-east-1");
  }

  @Test
  void signsTheSessionTokenOfTemporaryCredentials() {
    UpstreamRequest request = send(provider(Map.of("access_key_id", "ASIAEXAMPLE", "session_token", "tok-123"),
        SECRET), chat("[{\"role\":\"user\",\"content\":\"hi\"}]"));

    assertThat(request.headers().get("X-Amz-Security-Token")).isEqualTo("tok-123");
    Matcher m = AUTHORIZATION.matcher(request.headers().get("Authorization"));
    assertThat(m.matches()).isTrue();
    assertThat(m.group(4).split(";")).contains("x-amz-security-token");
  }

  @Test
  void acceptsAnAccessKeyIdInTheKeyValueAndBedrockApiKeysAsBearerTokens() {
    UpstreamRequest paired = send(provider(Map.of(), "AKIAIOSFODNN7EXAMPLE:" + SECRET),
        chat("[{\"role\":\"user\",\"content\":\"hi\"}]"));
    UpstreamRequest apiKey = send(provider(Map.of(), "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"),
        chat("[{\"role\":\"user\",\"content\":\"hi\"}]"));

    assertThat(paired.headers().get("Authorization")).startsWith(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261125/us-west-2/bedrock/aws4_request");
    assertThat(apiKey.headers().get("Authorization")).isEqualTo("Bearer ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl");
    assertThat(apiKey.headers().contains("X-Amz-Date")).isFalse();
  }

  @Test
  void explainsMissingCredentialsWithoutShowingTheKey() {
    assertThatThrownBy(() -> send(provider(Map.of(), "just-some-secret-value"),
        chat("[{\"role\":\"user\",\"content\":\"hi\"}]")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("access_key_id")
        .hasMessageNotContaining("just-some-secret-value");
  }

  @Test
  void percentEncodesModelIdsAndArnsAsOnePathSegment() {
    assertThat(BedrockAdapter.pathSegment("anthropic.claude-v2:1")).isEqualTo("anthropic.claude-v2%3A1");
    assertThat(BedrockAdapter.pathSegment("arn:aws:bedrock:us-east-1::foundation-model/x"))
        .isEqualTo("arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx");
  }

  @Test
  void endsTheStreamWithBedrocksMessageWhenAnExceptionFrameArrives() {
    byte[] frames = concat(FakeBedrock.event("messageStart", JSON.createObjectNode().put("role", "assistant")),
        FakeBedrock.exception("throttlingException", "Too many tokens, please wait before trying again."));
    List<ObjectNode> chunks = new ArrayList<>();

    assertThatThrownBy(() -> feed(adapter.newStreamDecoder("m"), frames, chunks))
        .isInstanceOf(ProviderStreamError.class)
        .hasMessage("throttlingException: Too many tokens, please wait before trying again.");
    assertThat(chunks).hasSize(1);
  }

  @Test
  void treatsAStreamThatStopsBeforeMessageStopAsCutOff() {
    byte[] frames = FakeBedrock.event("messageStart", JSON.createObjectNode().put("role", "assistant"));
    ChatStreamDecoder decoder = adapter.newStreamDecoder("m");
    feed(decoder, frames, new ArrayList<>());

    assertThatThrownBy(() -> decoder.finish(c -> { }))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("messageStop");
  }

  @Test
  void translatesACompleteAnswerWithoutAnyContentToAnEmptyMessage() {
    ObjectNode completion = adapter.chatResponse(JSON.readTree("{\"output\":{\"message\":{\"role\":\"assistant\","
        + "\"content\":[]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":3,\"outputTokens\":0}}"), "m");

    assertThat(completion.path("choices").get(0).path("message").path("content").asString()).isEmpty();
    assertThat(completion.path("usage").path("prompt_tokens").asLong()).isEqualTo(3);
    assertThatThrownBy(() -> adapter.chatResponse(JSON.readTree("{\"message\":\"nope\"}"), "m"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void feed(ChatStreamDecoder decoder, byte[] bytes, List<ObjectNode> out) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    try {
      decoder.decode(buf, out::add);
    } finally {
      buf.release();
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(UpstreamRequest request) {
    try {
      byte[] body = new byte[request.body().readableBytes()];
      request.body().getBytes(request.body().readerIndex(), body);
      return body;
    } finally {
      request.body().release();
    }
  }

  /** The signature AWS would compute for what the upstream client sends (Host added as it adds it). */
  private static String resign(UpstreamRequest request, byte[] body, String secret) {
    Matcher m = AUTHORIZATION.matcher(request.headers().get("Authorization"));
    assertThat(m.matches()).isTrue();
    URI uri = request.uri();
    SdkHttpFullRequest.Builder http = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(uri);
    for (String name : m.group(4).split(";")) {
      if (!name.equals("host") && !name.equals("x-amz-date")) {
        http.putHeader(name, request.headers().get(name));
      }
    }
    String authorization = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(m.group(1), secret))
        .request(http.build())
        .payload(ContentStreamProvider.fromByteArray(body))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "bedrock")
        .putProperty(AwsV4HttpSigner.REGION_NAME, m.group(3))
        .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK)).request().firstMatchingHeader("Authorization").orElseThrow();
    Matcher again = AUTHORIZATION.matcher(authorization);
    assertThat(again.matches()).isTrue();
    return again.group(5);
  }
}
