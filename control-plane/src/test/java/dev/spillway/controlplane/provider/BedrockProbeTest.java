package dev.spillway.controlplane.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.ProviderType;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class BedrockProbeTest {
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  @Test
  void usesTheDefaultEndpointOfTheConfiguredRegion() {
    BedrockProbe probe = BedrockProbe.of(bedrock(null, Map.of("region", "ap-southeast-2")), "amazon.nova-lite-v1:0");

    assertThat(probe.uri()).hasToString(
        "https://bedrock-runtime.ap-southeast-2.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse");
    assertThat(probe.region()).isEqualTo("ap-southeast-2");
  }

  @Test
  void takesTheRegionFromAStandardEndpointWhenNoneIsSetAndElseUsEast1() {
    assertThat(BedrockProbe.of(bedrock("https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/", Map.of()), "m")
        .region()).isEqualTo("us-gov-west-1");
    assertThat(BedrockProbe.of(bedrock("https://bedrock.internal.example.com", Map.of()), "m").region())
        .isEqualTo("us-east-1");
    assertThat(BedrockProbe.of(bedrock(null, Map.of()), "m").uri().getHost())
        .isEqualTo("bedrock-runtime.us-east-1.amazonaws.com");
  }

  @Test
  void encodesAnArnAsOnePathSegment() {
    BedrockProbe probe = BedrockProbe.of(bedrock("http://127.0.0.1:9/proxy/", Map.of("region", "eu-west-1")),
        "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku");

    assertThat(probe.uri().getRawPath()).isEqualTo("/proxy/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012"
        + "%3Ainference-profile%2Feu.anthropic.claude-3-haiku/converse");
  }

  @Test
  void signsWithSigV4ForTheRegionAndServiceAndKeepsTheSecretOutOfTheHeaders() throws Exception {
    BedrockProbe probe = BedrockProbe.of(bedrock(null, Map.of("region", "eu-central-1", "access_key_id",
        "AKIAIOSFODNN7EXAMPLE", "session_token", "token-of-a-session")), "m");

    BedrockProbe.Signed signed = probe.sign(SECRET);

    assertThat(signed.headers().get("Authorization")).matches("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
        + "\\d{8}/eu-central-1/bedrock/aws4_request, SignedHeaders=\\S*x-amz-security-token\\S*, Signature=[0-9a-f]{64}");
    assertThat(signed.headers()).containsKey("X-Amz-Date")
        .containsEntry("X-Amz-Security-Token", "token-of-a-session").doesNotContainKeys("Host", "Content-Length");
    assertThat(signed.headers().values()).noneMatch(v -> v.contains(SECRET));
    assertThat(signed.toString()).doesNotContain(SECRET).doesNotContain("token-of-a-session");
  }

  @Test
  void readsAnAccessKeyIdFromTheKeyValueAndABedrockApiKeyAsBearer() throws Exception {
    BedrockProbe probe = BedrockProbe.of(bedrock(null, Map.of("region", "us-west-2")), "m");

    assertThat(probe.sign("AKIAIOSFODNN7EXAMPLE:" + SECRET).headers().get("Authorization"))
        .startsWith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/");
    assertThat(probe.sign("bedrock-api-key-abc123").headers()).containsEntry("Authorization",
        "Bearer bedrock-api-key-abc123");
    assertThatThrownBy(() -> probe.sign("not-a-key")).isInstanceOf(BedrockProbe.UnusableKeyException.class)
        .hasMessageContaining("settings.access_key_id").hasMessageNotContaining("not-a-key");
  }

  @Test
  void aValidationExceptionOrASuccessMeansAccepted() {
    assertThat(judge(200, null, "{}").accepted()).isTrue();
    BedrockProbe.Verdict validation = judge(400, "ValidationException:http://internal.amazon.com/coral/"
        + "com.amazon.bedrock/", "{\"message\":\"The provided model identifier is invalid.\"}");
    assertThat(validation.accepted()).isTrue();
    assertThat(validation.message()).startsWith("credentials accepted").contains("ValidationException");
    assertThat(judge(429, "ThrottlingException", "{\"message\":\"Too many requests\"}").accepted()).isTrue();
  }

  @Test
  void authenticationErrorsAreRefusalsThatSayWhy() {
    assertThat(judge(403, null, "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
        + "\"message\":\"The security token included in the request is invalid.\"}"))
        .returns(false, BedrockProbe.Verdict::accepted)
        .extracting(BedrockProbe.Verdict::message).asString()
        .contains("does not know this access key id").contains("The security token included");
    assertThat(judge(403, "InvalidSignatureException", "{\"message\":\"The request signature we calculated does "
        + "not match\"}").message()).contains("signature does not match");
    assertThat(judge(403, "AccessDeniedException", "{\"Message\":\"User is not authorized\"}").message())
        .contains("bedrock:InvokeModel on m").contains("(AccessDeniedException)").contains("User is not authorized");
    assertThat(judge(400, "IncompleteSignatureException", "{}").accepted()).isFalse();
    assertThat(judge(404, null, "<html>not here</html>").message()).contains("check base_url");
    assertThat(judge(503, "ServiceUnavailableException", "{}").accepted()).isFalse();
  }

  @Test
  void awsMessagesAreScrubbedOfTheSecret() {
    BedrockProbe.Verdict verdict = BedrockProbe.judge(403, "InvalidSignatureException",
        "{\"message\":\"bad signature for " + SECRET + "\"}", "m", s -> ProviderConnectionTester.scrub(s, SECRET));

    assertThat(verdict.message()).doesNotContain(SECRET).contains("****");
  }

  private static BedrockProbe.Verdict judge(int status, String errorType, String body) {
    return BedrockProbe.judge(status, errorType, body, "m", UnaryOperator.identity());
  }

  private static Provider bedrock(String baseUrl, Map<String, String> settings) {
    return new Provider(UUID.randomUUID(), "bedrock", ProviderType.BEDROCK, baseUrl, List.of(), settings, null, null, null,
        null);
  }
}
