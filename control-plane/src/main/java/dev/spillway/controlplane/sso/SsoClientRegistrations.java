package dev.spillway.controlplane.sso;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ClientRegistrations;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one client registration ({@value SsoProperties#REGISTRATION_ID}), built from {@code SPILLWAY_OIDC_*} and
 * the issuer's discovery document.
 *
 * <p>Discovery happens on first use, not at start: the control plane serves nodes and the admin API even while the
 * IdP is down, and the sign-in page says what is wrong. A failed discovery is retried at most every few seconds.
 */
@Component
public class SsoClientRegistrations implements ClientRegistrationRepository {
  private static final Logger log = LoggerFactory.getLogger(SsoClientRegistrations.class);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(5);
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** Whether sign-in can start, and if not, why. */
  public record Status(boolean enabled, boolean available, String problem) {}

  private final SsoProperties props;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
      .followRedirects(HttpClient.Redirect.NORMAL).build();
  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock = Clock.systemUTC();
  private volatile ClientRegistration registration;
  private volatile String lastProblem;
  private volatile Instant lastAttempt = Instant.EPOCH;

  public SsoClientRegistrations(SsoProperties props) {
    this.props = props;
  }

  @Override
  public ClientRegistration findByRegistrationId(String registrationId) {
    if (!SsoProperties.REGISTRATION_ID.equals(registrationId) || !props.enabled()) {
      return null;
    }
    return resolve();
  }

  public Status status() {
    if (!props.enabled()) {
      return new Status(false, false, "single sign-on is not configured (set SPILLWAY_OIDC_ISSUER_URI and "
          + "SPILLWAY_OIDC_CLIENT_ID)");
    }
    ClientRegistration r = resolve();
    return new Status(true, r != null, r != null ? null : lastProblem);
  }

  /** {@code scheme://host[:port]} of the issuer, for the Content-Security-Policy; empty without SSO. */
  public java.util.Optional<String> issuerOrigin() {
    if (!props.enabled()) {
      return java.util.Optional.empty();
    }
    try {
      URI uri = URI.create(props.issuerUri());
      if (uri.getScheme() == null || uri.getHost() == null) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(uri.getScheme() + "://" + uri.getHost()
          + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
    } catch (IllegalArgumentException e) {
      return java.util.Optional.empty();
    }
  }

  public SsoProperties properties() {
    return props;
  }

  /** The IdP's end-session endpoint, when it has one (RP-initiated logout). */
  public boolean supportsLogout() {
    ClientRegistration r = registration;
    return r != null && r.getProviderDetails().getConfigurationMetadata().get("end_session_endpoint") != null;
  }

  private ClientRegistration resolve() {
    ClientRegistration r = registration;
    if (r != null) {
      return r;
    }
    synchronized (this) {
      if (registration != null) {
        return registration;
      }
      Instant now = clock.instant();
      if (lastProblem != null && now.isBefore(lastAttempt.plus(RETRY_AFTER))) {
        return null;
      }
      lastAttempt = now;
      try {
        registration = discover();
        lastProblem = null;
        log.info("single sign-on: issuer {} (client {})", props.issuerUri(), props.clientId());
        return registration;
      } catch (RuntimeException | IOException e) {
        lastProblem = "the identity provider at " + props.issuerUri() + " is not reachable or not valid: "
            + e.getMessage();
        log.warn("single sign-on: {}", lastProblem);
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  private ClientRegistration discover() throws IOException, InterruptedException {
    String issuer = props.issuerUri().endsWith("/") ? props.issuerUri().substring(0, props.issuerUri().length() - 1)
        : props.issuerUri();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create(issuer + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + issuer + "/.well-known/openid-configuration answered " + response.statusCode());
    }
    Map<String, Object> metadata = json.readValue(response.body(), MAP);
    Object declared = metadata.get("issuer");
    // The ID token's iss must match; a mismatch here (localhost vs 127.0.0.1, a trailing slash) would make every
    // sign-in fail later with a less helpful message.
    if (!(declared instanceof String d) || !(d.equals(props.issuerUri()) || d.equals(issuer))) {
      throw new IOException("its discovery document names issuer " + declared + ", not " + props.issuerUri());
    }
    ClientRegistration.Builder builder = ClientRegistrations.fromOidcConfiguration(metadata)
        .registrationId(SsoProperties.REGISTRATION_ID)
        .clientName(props.providerName())
        .clientId(props.clientId())
        .scope(props.scopeList())
        .redirectUri(props.redirectUri() != null ? props.redirectUri() : "{baseUrl}/login/oauth2/code/{registrationId}")
        .clientSettings(ClientRegistration.ClientSettings.builder().requireProofKey(true).build());
    if (props.clientSecret() == null) {
      builder.clientAuthenticationMethod(ClientAuthenticationMethod.NONE);
    } else {
      builder.clientSecret(props.clientSecret());
    }
    return builder.build();
  }
}
