package dev.spillway.controlplane.provider;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import dev.spillway.testsupport.FakeBedrock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * "Test connection" on a {@code bedrock} provider sends each key's signed probe (a Converse request with no
 * messages) to a fake Bedrock that verifies SigV4 signatures the way AWS does: right credentials are accepted, a
 * wrong secret is refused, Bedrock API keys go as bearer tokens, and no answer ever shows a secret.
 */
class BedrockConnectionTestIT extends ControlPlaneIntegrationTest {
  private static final String REGION = "eu-west-1";
  private static final String ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private static final String API_KEY = "ABSKQmVkcm9ja0FQSUtleS1pdC10ZXN0LWtleS0wMTIzNDU2Nzg5";
  private static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENfor/test+only==";
  private static final String MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";

  private static FakeBedrock bedrock;
  private static DashboardSession admin;

  @BeforeAll
  static void startBedrock() {
    bedrock = FakeBedrock.start(ACCESS_KEY_ID, SECRET, REGION).acceptApiKey(API_KEY);
  }

  @AfterAll
  static void stopBedrock() {
    bedrock.close();
  }

  @BeforeEach
  void signIn() {
    bedrock.reset();
    if (admin == null) {
      admin = signInAs(ADMIN_EMAIL);
    }
  }

  @Test
  void theRightSecretIsAcceptedWithASignedRequestForTheModelOfARoute() {
    String provider = createBedrock(Map.of("access_key_id", ACCESS_KEY_ID), SECRET);
    assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "%s"}]}""".formatted(unique("br"), name(provider),
        MODEL)), 201);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("Connection works").contains("credentials accepted")
        .contains("POST " + bedrock.baseUrl() + "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
        .doesNotContain(SECRET);
    assertThat(bedrock.authFailures()).isEmpty();
    assertThat(bedrock.requestCount()).isEqualTo(1);
    assertThat(bedrock.lastRequest().uri()).isEqualTo("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");
    assertThat(bedrock.lastRequest().header("authorization"))
        .startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY_ID + "/").contains("/" + REGION + "/bedrock/");
    assertThat(bedrock.lastRequest().body()).isEqualTo("{\"messages\":[]}");
  }

  @Test
  void aWrongSecretIsRefusedAndNotShown() {
    String wrong = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET";
    String provider = createBedrock(Map.of("access_key_id", ACCESS_KEY_ID), wrong);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("failed").contains("refused").contains("signature does not match")
        .contains("HTTP 403").doesNotContain("Connection works").doesNotContain(wrong);
    assertThat(bedrock.authFailures()).containsExactly("signature: mismatch");
  }

  @Test
  void aBedrockApiKeyIsSentAsABearerTokenAndAccepted() {
    String provider = createBedrock(Map.of(), API_KEY);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("Connection works").contains("credentials accepted").doesNotContain(API_KEY);
    assertThat(bedrock.lastRequest().header("authorization")).isEqualTo("Bearer " + API_KEY);
    assertThat(bedrock.authFailures()).isEmpty();
  }

  @Test
  void eachKeyIsTestedWithItsOwnCredentialsAndAWrongApiKeyIsRefused() {
    String provider = createBedrock(Map.of(), ACCESS_KEY_ID + ":" + SECRET);
    String wrongApiKey = "ABSKbm90LXRoZS1yaWdodC1rZXktMDEyMzQ1Njc4OQ";
    assertStatus(admin().patch("/api/v1/providers/" + provider, """
        {"keys": [{"name": "primary"}, {"name": "apikey", "value": "%s"}]}""".formatted(wrongApiKey)), 200);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("Connection test").doesNotContain("Connection works")
        .containsPattern("ok</span>\\s*key <strong>primary</strong>")
        .containsPattern("failed</span>\\s*key <strong>apikey</strong>")
        .doesNotContain(SECRET).doesNotContain(wrongApiKey);
    assertThat(bedrock.requestCount()).isEqualTo(2);
  }

  @Test
  void temporaryCredentialsSignTheirSessionToken() {
    String provider = createBedrock(Map.of("access_key_id", ACCESS_KEY_ID, "session_token", SESSION_TOKEN), SECRET);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("Connection works").doesNotContain(SESSION_TOKEN);
    assertThat(bedrock.lastRequest().header("x-amz-security-token")).isEqualTo(SESSION_TOKEN);
    assertThat(bedrock.authFailures()).isEmpty();
  }

  @Test
  void aValidationExceptionMeansTheCredentialsWereAccepted() {
    String provider = createBedrock(Map.of("access_key_id", ACCESS_KEY_ID), SECRET);
    bedrock.enqueue(FakeBedrock.Reply.error(400, "ValidationException",
        "A conversation must start with a user message. Try again with a conversation that starts with a user "
            + "message."));

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("Connection works").contains("HTTP 400")
        .contains("credentials accepted; AWS then refused the empty test request as invalid");
  }

  @Test
  void anUnknownAccessKeyIdIsRefused() {
    String provider = createBedrock(Map.of("access_key_id", "AKIAUNKNOWNKEY0000000"), SECRET);

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("failed").contains("refused").contains("AccessDeniedException")
        .doesNotContain(SECRET);
  }

  @Test
  void aKeyTheNodesCouldNotUseIsReportedWithoutARequestAndWithThePlaceholderModel() {
    String provider = createBedrock(Map.of(), "just-a-password-not-a-key");

    ApiResponse test = testConnection(provider);

    assertThat(test.text()).contains("failed").contains("needs settings.access_key_id")
        .contains("/model/amazon.nova-micro-v1%3A0/converse").doesNotContain("just-a-password-not-a-key");
    assertThat(bedrock.requestCount()).isZero();
  }

  private ApiResponse testConnection(String providerId) {
    ApiResponse test = admin.post("/providers/" + providerId + "/test", Map.of(), "HX-Request", "true");
    assertThat(test.status()).as(test.describe()).isEqualTo(200);
    return test;
  }

  /** A bedrock provider at the fake, in its region, with one key {@code primary}; returns its id. */
  private String createBedrock(Map<String, String> settings, String keyValue) {
    StringBuilder json = new StringBuilder("{\"region\": \"" + REGION + "\"");
    settings.forEach((k, v) -> json.append(", \"").append(k).append("\": \"").append(v).append('"'));
    json.append('}');
    return assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "bedrock", "base_url": "%s", "settings": %s,
         "keys": [{"name": "primary", "value": "%s"}]}""".formatted(unique("bedrock"), bedrock.baseUrl(), json,
        keyValue)), 201).get("id").stringValue();
  }

  private String name(String providerId) {
    return assertStatus(admin().get("/api/v1/providers/" + providerId), 200).get("name").stringValue();
  }
}
