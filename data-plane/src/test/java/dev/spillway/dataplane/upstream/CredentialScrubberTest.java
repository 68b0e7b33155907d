package dev.spillway.dataplane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Provider error text as a client would read it: without any credential the node sent or that looks like one. */
class CredentialScrubberTest {
  static final String OPENAI_KEY = "sk-proj-Xa9dK2LmQ7vB4nT1pR8sW3yZ6cF0hJ5gE2uI9oA7kD4lM1nB8vC3xZ6qW0eR5tY2";
  static final String ANTHROPIC_KEY = "sk-ant-api03-R2d2C3p0BB8xQvL7mN4kJ1hG6fD3sA9pO0iU5yT2rE8wQ1zX4cV7bN3mK6lJ9hG2f-Ab3CdEfAA";
  static final String AZURE_KEY = "3f9c2a7e41b84d0f9e6c1a5b7d2e8f40";
  static final String GEMINI_KEY = "AIzaSyD4x-Kq2mN8pR5tV1wY7zB3cF6hJ9kL0oQ";
  static final String AWS_ACCESS_KEY_ID = "ASIAQX7EXAMPLE4KEY2Z";
  static final String AWS_SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  static final String AWS_SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDxG8+Kf3Q1vXyz"
      + "Tn4mP0lK2jH7gF5dS3aQ9wE1rT6yU8iAiB2cV4bN6mL8kJ0hG2fD4sA6pO8iU0yT2rE4wQ6zX8cV0bN==";

  private static UpstreamRequest request(String uri, HttpHeaders headers) {
    return new UpstreamRequest(HttpMethod.POST, URI.create(uri), headers, Unpooled.EMPTY_BUFFER,
        new UpstreamRequest.Timeouts(1, 1, 1, 1));
  }

  private static UpstreamRequest openAi() {
    return request("https://api.openai.com/v1/chat/completions", new DefaultHttpHeaders()
        .set("Authorization", "Bearer " + OPENAI_KEY)
        .set("Content-Type", "application/json")
        .set("OpenAI-Organization", "org-spillway"));
  }

  @Test
  void removesTheKeyFromAJsonBodyThatEchoesTheRequestHeaders() {
    String echo = "{\"error\":{\"message\":\"upstream connect error\",\"request\":{\"headers\":{\"authorization\":"
        + "\"Bearer " + OPENAI_KEY + "\",\"content-type\":\"application/json\",\"openai-organization\":"
        + "\"org-spillway\"}}}}";

    String scrubbed = CredentialScrubber.of(openAi()).apply(echo);

    assertThat(scrubbed).doesNotContain(OPENAI_KEY).doesNotContain(OPENAI_KEY.substring(8, 40))
        .isEqualTo("{\"error\":{\"message\":\"upstream connect error\",\"request\":{\"headers\":{\"authorization\":"
            + "\"[redacted]\",\"content-type\":\"application/json\",\"openai-organization\":\"org-spillway\"}}}}");
  }

  @Test
  void removesAKeyInTheMiddleOfOtherText() {
    UpstreamRequest anthropic = request("https://api.anthropic.com/v1/messages", new DefaultHttpHeaders()
        .set("x-api-key", ANTHROPIC_KEY).set("anthropic-version", "2023-06-01"));

    String scrubbed = CredentialScrubber.of(anthropic).apply("gateway 10.0.3.7 rejected key" + ANTHROPIC_KEY
        + "for workspace wrk_01 (anthropic-version 2023-06-01)");

    assertThat(scrubbed).isEqualTo("gateway 10.0.3.7 rejected key[redacted]for workspace wrk_01"
        + " (anthropic-version 2023-06-01)");
  }

  @Test
  void removesAnAzureKeyThatHasNoRecognisableShape() {
    UpstreamRequest azure = request("https://spillway.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
        + "?api-version=2024-10-21", new DefaultHttpHeaders().set("api-key", AZURE_KEY));
    String text = "Access denied due to invalid subscription key " + AZURE_KEY + ". Make sure to provide a valid key.";

    assertThat(CredentialScrubber.of(azure).apply(text)).isEqualTo("Access denied due to invalid subscription key"
        + " [redacted]. Make sure to provide a valid key.");
    assertThat(CredentialScrubber.SHAPES_ONLY.apply(text)).as("a bare hex key is only known by its request")
        .isEqualTo(text);
  }

  @Test
  void removesGeminisKeyFromAnEchoedUrlAndHeader() {
    UpstreamRequest gemini = request("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash"
        + ":generateContent?alt=sse&key=" + GEMINI_KEY, new DefaultHttpHeaders().set("x-goog-api-key", GEMINI_KEY));

    String scrubbed = CredentialScrubber.of(gemini).apply("POST https://generativelanguage.googleapis.com/v1beta/"
        + "models/gemini-2.0-flash:generateContent?alt=sse&key=" + GEMINI_KEY + " failed: API key not valid");

    assertThat(scrubbed).isEqualTo("POST https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash"
        + ":generateContent?alt=sse&key=[redacted] failed: API key not valid");
  }

  @Test
  void removesTheSigV4AccessKeyIdSignatureAndSessionTokenAlsoWhenEscaped() {
    String authorization = "AWS4-HMAC-SHA256 Credential=" + AWS_ACCESS_KEY_ID + "/20250612/us-east-1/bedrock/"
        + "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=" + AWS_SIGNATURE;
    UpstreamRequest bedrock = request("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5"
        + "-sonnet-20240620-v1%3A0/converse", new DefaultHttpHeaders()
        .set("Authorization", authorization)
        .set("X-Amz-Date", "20250612T101500Z")
        .set("X-Amz-Security-Token", AWS_SESSION_TOKEN));
    CredentialScrubber scrubber = CredentialScrubber.of(bedrock);

    String signatureEcho = scrubber.apply("The request signature we calculated does not match the signature you"
        + " provided. Signature " + AWS_SIGNATURE + ", credential " + AWS_ACCESS_KEY_ID + "/20250612/us-east-1");
    String jsonEcho = scrubber.apply("{\"x-amz-security-token\":\"" + AWS_SESSION_TOKEN.replace("/", "\\/") + "\"}");
    String urlEcho = scrubber.apply("token=" + URLEncoder.encode(AWS_SESSION_TOKEN, StandardCharsets.UTF_8));
    String headerEcho = scrubber.apply("Authorization: " + authorization);

    assertThat(signatureEcho).isEqualTo("The request signature we calculated does not match the signature you"
        + " provided. Signature [redacted], credential [redacted]/20250612/us-east-1");
    assertThat(jsonEcho).isEqualTo("{\"x-amz-security-token\":\"[redacted]\"}");
    assertThat(urlEcho).isEqualTo("token=[redacted]");
    assertThat(headerEcho).isEqualTo("Authorization: [redacted]");
  }

  @Test
  void removesTheTokenAndThePasswordOfBasicAuthentication() {
    String token = Base64.getEncoder().encodeToString("spillway:Vq3-secret-pass-77".getBytes(StandardCharsets.UTF_8));
    UpstreamRequest proxied = request("https://llm.internal.example/v1/chat/completions",
        new DefaultHttpHeaders().set("Authorization", "Basic " + token));

    assertThat(CredentialScrubber.of(proxied).apply("denied: credentials " + token + " (password Vq3-secret-pass-77)"))
        .isEqualTo("denied: credentials [redacted] (password [redacted])");
  }

  @Test
  void removesCredentialShapedTextThatTheNodeDidNotSend() {
    CredentialScrubber scrubber = CredentialScrubber.of(openAi());

    assertThat(scrubber.apply("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl was"
        + " rejected")).isEqualTo("Authorization: Bearer [redacted] was rejected");
    assertThat(scrubber.apply("key sk-sw-0123456789abcdef0123456789abcdef is revoked"))
        .isEqualTo("key [redacted] is revoked");
    assertThat(scrubber.apply("Incorrect API key provided: sk-proj-****************************************Ab3x."))
        .isEqualTo("Incorrect API key provided: [redacted].");
    assertThat(scrubber.apply("The security token included in the request is invalid (AKIAIOSFODNN7EXAMPLE)"))
        .isEqualTo("The security token included in the request is invalid ([redacted])");
  }

  @Test
  void leavesWordsThatOnlyResembleCredentials() {
    String text = "Bearer authentication required; task-0123456789abcdefghij failed; sk-short; AKIAISTOOSHORT;"
        + " XAKIAIOSFODNN7EXAMPLE1; the bearer of bad news";

    assertThat(CredentialScrubber.of(openAi()).apply(text)).isEqualTo(text);
  }

  @Test
  void returnsTheSameTextWhenThereIsNothingToRemove() {
    String text = "{\"error\":{\"message\":\"The model `gpt-5-turbo` does not exist\",\"type\":\"invalid_request_error\"}}";
    CredentialScrubber scrubber = CredentialScrubber.of(openAi());

    assertThat(scrubber.apply(text)).isSameAs(text);
    assertThat(scrubber.apply("")).isEmpty();
    assertThat(scrubber.apply(null)).isNull();
  }

  @Test
  void ignoresValuesTooShortToBeCredentials() {
    UpstreamRequest local = request("http://127.0.0.1:11434/v1/chat/completions",
        new DefaultHttpHeaders().set("Authorization", "Bearer ollama"));

    assertThat(CredentialScrubber.of(local).apply("ollama: model not found")).isEqualTo("ollama: model not found");
  }
}
