package dev.spillway.controlplane.provider;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * The request behind "Test connection" for a {@code bedrock} provider. Bedrock's runtime API has no free read-only
 * call, so the probe is a Converse request with no messages: AWS authenticates a request before it looks at it, and
 * then refuses this one as invalid ({@code 400 ValidationException}) without running a model. A 403
 * ({@code UnrecognizedClientException}, {@code InvalidSignatureException}, {@code AccessDeniedException}) means the
 * credentials were refused.
 *
 * <p>Credentials, region and URL are read exactly as the nodes read them (the data plane's {@code BedrockAdapter}):
 * {@code settings.access_key_id} with the key value as secret access key, or a key value
 * {@code <access key id>:<secret>}, plus an optional {@code settings.session_token}, signed with SigV4 by the AWS
 * SDK's standalone signer; or a Bedrock API key ({@code ABSK…}, {@code bedrock-api-key-…}) as a bearer token. The
 * region is {@code settings.region}, else the one in a standard endpoint host, else {@code us-east-1}.
 */
final class BedrockProbe {
  /** Used when no route sends anything to this provider; any id works, since validation fails either way. */
  static final String PLACEHOLDER_MODEL = "amazon.nova-micro-v1:0";
  static final String DEFAULT_REGION = "us-east-1";
  static final String SERVICE = "bedrock";
  /** A Converse request that AWS refuses after authenticating it: nothing runs, nothing is billed. */
  static final byte[] BODY = "{\"messages\":[]}".getBytes(StandardCharsets.UTF_8);

  private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
  private static final Pattern ACCESS_KEY_ID = Pattern.compile("(?:AKIA|ASIA)[A-Z0-9]{12,124}");
  private static final Pattern REGION_HOST =
      Pattern.compile("bedrock-runtime(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com");
  /** Errors AWS answers only to an authenticated request. */
  private static final Set<String> AFTER_AUTHENTICATION = Set.of("ValidationException", "ResourceNotFoundException",
      "ThrottlingException", "ModelNotReadyException", "ServiceQuotaExceededException");

  private final URI uri;
  private final String region;
  private final String model;
  private final String accessKeyId;
  private final String sessionToken;

  private BedrockProbe(URI uri, String region, String model, String accessKeyId, String sessionToken) {
    this.uri = uri;
    this.region = region;
    this.model = model;
    this.accessKeyId = accessKeyId;
    this.sessionToken = sessionToken;
  }

  /** The probe of provider {@code p} with {@code model} in the path. */
  static BedrockProbe of(Provider p, String model) {
    Objects.requireNonNull(p, "p");
    Objects.requireNonNull(model, "model");
    String configuredRegion = p.settings().getOrDefault("region", "").strip();
    String base = p.baseUrl() == null || p.baseUrl().isBlank()
        ? "https://bedrock-runtime." + (configuredRegion.isEmpty() ? DEFAULT_REGION : configuredRegion)
            + ".amazonaws.com"
        : p.baseUrl().strip();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    URI uri = URI.create(base + "/model/" + pathSegment(model) + "/converse");
    String region = configuredRegion;
    if (region.isEmpty()) {
      Matcher host = REGION_HOST.matcher(uri.getHost() == null ? "" : uri.getHost());
      region = host.matches() ? host.group(1) : DEFAULT_REGION;
    }
    String token = p.settings().getOrDefault("session_token", "").strip();
    return new BedrockProbe(uri, region, model, p.settings().getOrDefault("access_key_id", "").strip(),
        token.isEmpty() ? null : token);
  }

  URI uri() {
    return uri;
  }

  String region() {
    return region;
  }

  String model() {
    return model;
  }

  /** A key value that the nodes could not use either; its message names the settings, never the key. */
  static final class UnusableKeyException extends Exception {
    UnusableKeyException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The headers to send with {@link #BODY} for the key value {@code secret}, and what must never appear in a
   * message about it.
   */
  record Signed(Map<String, String> headers, List<String> secrets) {
    /** {@code message} without any of the secrets (or anything key-like), cut short. */
    String scrub(String message) {
      String text = message;
      for (String secret : secrets) {
        if (!secret.isEmpty()) {
          text = ProviderConnectionTester.scrub(text, secret);
        }
      }
      return text;
    }

    @Override
    public String toString() {
      return "Signed[headers=" + headers.keySet() + "]";
    }
  }

  Signed sign(String secret) throws UnusableKeyException {
    List<String> secrets = new ArrayList<>(List.of(secret));
    if (sessionToken != null) {
      secrets.add(sessionToken);
    }
    String keyId = accessKeyId;
    String secretKey = secret;
    if (keyId.isEmpty()) {
      int colon = secret.indexOf(':');
      if (colon > 0 && ACCESS_KEY_ID.matcher(secret.substring(0, colon)).matches()) {
        keyId = secret.substring(0, colon);
        secretKey = secret.substring(colon + 1);
        secrets.add(secretKey);
      } else if (isBedrockApiKey(secret)) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Accept", "application/json");
        headers.put("Authorization", "Bearer " + secret);
        return new Signed(headers, secrets);
      } else {
        throw new UnusableKeyException("not tested: this key needs settings.access_key_id (SigV4), the form "
            + "<access key id>:<secret>, or a Bedrock API key (ABSK… or bedrock-api-key-…); the nodes cannot use "
            + "it either");
      }
    }
    AwsCredentialsIdentity identity = sessionToken == null ? AwsCredentialsIdentity.create(keyId, secretKey)
        : AwsSessionCredentialsIdentity.create(keyId, secretKey, sessionToken);
    SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(uri)
        .putHeader("Content-Type", "application/json")
        .putHeader("Accept", "application/json")
        .build();
    SignedRequest signed = SIGNER.sign(r -> r
        .identity(identity)
        .request(request)
        .payload(ContentStreamProvider.fromByteArrayUnsafe(BODY))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
        .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    Map<String, String> headers = new LinkedHashMap<>();
    // Host and Content-Length are the HTTP client's to send (it sends the values the signer saw).
    signed.request().headers().forEach((name, values) -> {
      if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length") && !values.isEmpty()) {
        headers.put(name, values.get(0));
      }
    });
    return new Signed(headers, secrets);
  }

  /** Whether AWS accepted the credentials, and what to tell the admin. */
  record Verdict(boolean accepted, String message) {}

  /**
   * Reads AWS's answer: 2xx, or an error that AWS gives only after authentication (400 ValidationException first of
   * all), means the credentials were accepted.
   */
  static Verdict judge(int status, String errorTypeHeader, String body, String model,
      UnaryOperator<String> scrub) {
    String type = errorType(errorTypeHeader, body);
    String message = ProviderConnectionTester.providerMessage(body);
    String detail = message == null || message.isBlank() ? null : scrub.apply(message);
    if (status / 100 == 2) {
      return new Verdict(true, "credentials accepted");
    }
    if (type != null && AFTER_AUTHENTICATION.contains(type) && status < 500) {
      String why = switch (type) {
        case "ValidationException" -> "AWS then refused the empty test request as invalid, as intended";
        case "ResourceNotFoundException" -> "AWS then said model " + model + " was not found";
        case "ThrottlingException" -> "AWS then throttled the test";
        default -> "AWS then answered " + type;
      };
      return new Verdict(true, "credentials accepted; " + why + " (HTTP " + status + " " + type + ")");
    }
    String hint = switch (type == null ? "" : type) {
      case "UnrecognizedClientException" -> "AWS refused the credentials: it does not know this access key id "
          + "(or the session token is not valid)";
      case "InvalidSignatureException", "SignatureDoesNotMatch" -> "AWS refused the credentials: the signature "
          + "does not match (wrong secret access key, or a region AWS does not expect)";
      case "ExpiredTokenException" -> "AWS refused the credentials: the session token has expired";
      case "AccessDeniedException" -> "AWS refused the request: access denied (the credentials are not valid, or "
          + "may not call bedrock:InvokeModel on " + model + ")";
      case "IncompleteSignatureException", "MissingAuthenticationTokenException" ->
          "AWS refused the credentials: the request's signature is incomplete";
      default -> status == 401 || status == 403 ? "AWS refused the credentials"
          : status == 404 ? "no Bedrock runtime at this base URL (check base_url)"
          : status >= 500 ? "the provider failed" : "the provider refused the request";
    };
    String shown = type == null || hint.contains(type) ? hint : hint + " (" + type + ")";
    return new Verdict(false, detail == null ? shown : shown + ": " + detail);
  }

  /** {@code x-amzn-ErrorType: ValidationException:http://…}, or a JSON body's {@code __type} ({@code …#Name}). */
  static String errorType(String header, String body) {
    String raw = header;
    if (raw == null || raw.isBlank()) {
      Matcher m = Pattern.compile("\"__type\"\\s*:\\s*\"([^\"]+)\"").matcher(body == null ? "" : body);
      raw = m.find() ? m.group(1) : null;
    }
    if (raw == null || raw.isBlank()) {
      return null;
    }
    int hash = raw.lastIndexOf('#');
    String name = hash >= 0 ? raw.substring(hash + 1) : raw;
    int colon = name.indexOf(':');
    name = (colon >= 0 ? name.substring(0, colon) : name).strip();
    return name.isEmpty() ? null : name;
  }

  /** Long-term Bedrock API keys start with {@code ABSK}, short-term ones with {@code bedrock-api-key-}. */
  static boolean isBedrockApiKey(String key) {
    return key.startsWith("ABSK") || key.startsWith("bedrock-api-key-");
  }

  /** Model ids hold {@code :} and ARNs {@code /}: the id is one percent-encoded path segment, as the nodes send it. */
  static String pathSegment(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "BedrockProbe[" + uri + ", region=" + region.toLowerCase(Locale.ROOT) + "]";
  }
}
