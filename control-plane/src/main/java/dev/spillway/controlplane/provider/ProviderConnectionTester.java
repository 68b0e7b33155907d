package dev.spillway.controlplane.provider;

import dev.spillway.config.ProviderType;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.SecretCipher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * "Test connection": one real, cheap request per provider key from the control plane, with a short timeout: list
 * the models, or for Bedrock (which has no such call in its runtime API) a signed Converse request that AWS refuses
 * as invalid after it has checked the signature ({@link BedrockProbe}). The answer says whether the provider
 * accepted the key and how long it took; it never contains the key, and a provider's error message is cut short and
 * stripped of anything key-like.
 */
@Component
public class ProviderConnectionTester {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(6);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Logger log = LoggerFactory.getLogger(ProviderConnectionTester.class);
  /** The one answer for every connection or I/O failure (see {@link #unreachable}). */
  static final String UNREACHABLE = "no HTTP answer from the provider (cannot connect, connection closed or timed "
      + "out; the control plane's log has the cause at debug level)";

  /** The outcome for one key. */
  public record KeyResult(String keyName, boolean ok, Integer status, long millis, String message) {}

  /**
   * The outcome for a provider.
   *
   * @param target the request made, e.g. {@code GET https://api.openai.com/v1/models}
   */
  public record Result(String provider, String target, List<KeyResult> keys, String note) {
    public boolean ok() {
      return !keys.isEmpty() && keys.stream().allMatch(KeyResult::ok);
    }
  }

  private final ProviderService providers;
  private final ProviderRepository repository;
  private final SecretCipher cipher;
  private final ProviderUrlPolicy urls;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
      .followRedirects(HttpClient.Redirect.NEVER).build();

  public ProviderConnectionTester(ProviderService providers, ProviderRepository repository, SecretCipher cipher,
      ProviderUrlPolicy urls) {
    this.providers = providers;
    this.urls = urls;
    this.repository = repository;
    this.cipher = cipher;
  }

  public Result test(UUID providerId) {
    Authz.requireOrgAdmin();
    Provider p = providers.get(providerId);
    if (p.type() == ProviderType.MOCK) {
      return new Result(p.name(), "built-in", List.of(new KeyResult("(none)", true, null, 0,
          "the built-in mock answers inside each node; nothing to connect to")), null);
    }
    if (p.type() == ProviderType.BEDROCK) {
      return testBedrock(p);
    }
    String url = modelsUrl(p);
    if (p.keys().isEmpty()) {
      return new Result(p.name(), "GET " + url, List.of(), "this provider has no keys to test");
    }
    Optional<String> refused = urls.refusal(URI.create(url));
    if (refused.isPresent()) {
      return new Result(p.name(), "GET " + url, List.of(), "not tested: base_url " + refused.get());
    }
    List<KeyResult> results = new ArrayList<>();
    for (ProviderKey key : p.keys()) {
      results.add(cipher.withOpened(key.valueSealed(), Provider.sealContext(p.id(), key.name()),
          secret -> call(p, key.name(), url, secret)));
    }
    return new Result(p.name(), "GET " + url, results, null);
  }

  private Result testBedrock(Provider p) {
    BedrockProbe probe = BedrockProbe.of(p, bedrockModel(p));
    String target = "POST " + probe.uri();
    if (p.keys().isEmpty()) {
      return new Result(p.name(), target, List.of(), "this provider has no keys to test");
    }
    Optional<String> refused = urls.refusal(probe.uri());
    if (refused.isPresent()) {
      return new Result(p.name(), target, List.of(), "not tested: base_url " + refused.get());
    }
    List<KeyResult> results = new ArrayList<>();
    for (ProviderKey key : p.keys()) {
      results.add(cipher.withOpened(key.valueSealed(), Provider.sealContext(p.id(), key.name()),
          secret -> callBedrock(probe, key.name(), secret)));
    }
    return new Result(p.name(), target, results, "A Converse request with no messages, authenticated as the nodes "
        + "do (SigV4 for region " + probe.region() + ", or a Bedrock API key): AWS checks the credentials first, "
        + "then refuses the empty request, so no model runs and no tokens are billed.");
  }

  /** A model id a route sends to this provider, so that a model-scoped IAM policy is tested too; else a stand-in. */
  private String bedrockModel(Provider p) {
    return repository.modelsRoutedTo(p.id()).stream()
        .filter(m -> m != null && !m.isBlank()).sorted().findFirst()
        .orElse(BedrockProbe.PLACEHOLDER_MODEL);
  }

  private KeyResult callBedrock(BedrockProbe probe, String keyName, String secret) {
    BedrockProbe.Signed signed;
    try {
      signed = probe.sign(secret);
    } catch (BedrockProbe.UnusableKeyException e) {
      return new KeyResult(keyName, false, null, 0, e.getMessage());
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(probe.uri()).timeout(REQUEST_TIMEOUT)
        // HTTP/1.1: no h2c upgrade headers on plain-http endpoints (a proxy, a test double).
        .version(HttpClient.Version.HTTP_1_1)
        .POST(HttpRequest.BodyPublishers.ofByteArray(BedrockProbe.BODY));
    signed.headers().forEach(request::header);
    // Not signed, as the nodes do: proxies and the AWS front end may rewrite it.
    request.header("User-Agent", "spillway-connection-test");
    long start = System.nanoTime();
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      long millis = (System.nanoTime() - start) / 1_000_000;
      BedrockProbe.Verdict verdict = BedrockProbe.judge(response.statusCode(),
          response.headers().firstValue("x-amzn-ErrorType").orElse(null), response.body(), probe.model(),
          signed::scrub);
      return new KeyResult(keyName, verdict.accepted(), response.statusCode(), millis, verdict.message());
    } catch (IOException e) {
      return unreachable(keyName, probe.uri(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(keyName, start, "interrupted");
    }
  }

  private KeyResult call(Provider p, String keyName, String url, String secret) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).GET()
        .header("Accept", "application/json").header("User-Agent", "spillway-connection-test");
    switch (p.type()) {
      case AZURE_OPENAI -> request.header("api-key", secret);
      case ANTHROPIC -> request.header("x-api-key", secret)
          .header("anthropic-version", p.settings().getOrDefault("anthropic_version", "2023-06-01"));
      case GEMINI -> request.header("x-goog-api-key", secret);
      case OPENAI_COMPATIBLE -> {
        String header = p.settings().getOrDefault("auth_header", "Authorization");
        String scheme = p.settings().getOrDefault("auth_scheme", "Bearer");
        request.header(header, scheme.isBlank() ? secret : scheme + " " + secret);
      }
      default -> {
        request.header("Authorization", "Bearer " + secret);
        if (p.settings().containsKey("organization")) {
          request.header("OpenAI-Organization", p.settings().get("organization"));
        }
      }
    }
    long start = System.nanoTime();
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      long millis = (System.nanoTime() - start) / 1_000_000;
      int status = response.statusCode();
      if (status / 100 == 2) {
        return new KeyResult(keyName, true, status, millis, describeModels(response.body()));
      }
      return new KeyResult(keyName, false, status, millis, explain(status, response.body(), secret));
    } catch (IOException e) {
      return unreachable(keyName, request.build().uri(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(keyName, start, "interrupted");
    }
  }

  /**
   * Every failure to get an HTTP answer — refused, reset, closed without a byte, TLS, timeouts — is one message with
   * no time: telling them apart would make "Test connection" a port scanner of whatever network the control plane
   * sits in (a closed port refuses at once, an open one that is not HTTP closes without bytes). The cause is logged
   * at debug for the operator.
   */
  private static KeyResult unreachable(String keyName, URI uri, IOException e) {
    log.debug("connection test to {}://{}:{} failed: {}", uri.getScheme(), uri.getHost(), uri.getPort(),
        e.toString());
    return new KeyResult(keyName, false, null, 0, UNREACHABLE);
  }

  private static KeyResult failed(String keyName, long start, String message) {
    return new KeyResult(keyName, false, null, (System.nanoTime() - start) / 1_000_000, message);
  }

  static String modelsUrl(Provider p) {
    String base = p.baseUrl();
    return switch (p.type()) {
      case OPENAI -> (base == null ? "https://api.openai.com/v1" : base) + "/models";
      case ANTHROPIC -> (base == null ? "https://api.anthropic.com" : base) + "/v1/models";
      case GEMINI -> (base == null ? "https://generativelanguage.googleapis.com" : base) + "/v1beta/models";
      case AZURE_OPENAI -> base + "/openai/models?api-version=" + p.settings().getOrDefault("api_version",
          "2024-10-21");
      default -> base + "/models";
    };
  }

  private static String describeModels(String body) {
    try {
      JsonNode json = JSON.readTree(body);
      JsonNode list = json.has("data") ? json.get("data") : json.get("models");
      if (list != null && list.isArray()) {
        return "connected; the provider lists " + list.size() + " models";
      }
    } catch (RuntimeException e) {
      // Not JSON: still a successful answer.
    }
    return "connected";
  }

  private static String explain(int status, String body, String secret) {
    String hint = switch (status) {
      case 401, 403 -> "the provider refused the key";
      case 404 -> "no models endpoint at this base URL (check base_url)";
      case 429 -> "the provider rate-limited the test; the key is probably valid";
      default -> status >= 500 ? "the provider failed" : "the provider refused the request";
    };
    String detail = providerMessage(body);
    return detail == null ? hint : hint + ": " + scrub(detail, secret);
  }

  static String providerMessage(String body) {
    try {
      JsonNode json = JSON.readTree(body);
      JsonNode error = json.get("error");
      // AWS services answer {"message": …} or {"Message": …}.
      JsonNode message = error == null ? (json.has("message") ? json.get("message") : json.get("Message"))
          : error.isTextual() ? error : error.get("message");
      return message == null || !message.isValueNode() ? null : message.asString();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Removes the key (and anything that looks like one) and cuts the message short. */
  static String scrub(String message, String secret) {
    String text = message.replace(secret, "****");
    text = text.replaceAll("(?i)(sk|key|token)[-_A-Za-z0-9]{12,}", "****");
    text = text.replaceAll("[A-Za-z0-9_\\-]{32,}", "****");
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

}
