package dev.spillway.controlplane.sso;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The dashboard's single sign-on, bound from {@code spillway.oidc.*} (application.yml maps the
 * {@code SPILLWAY_OIDC_*} variables and {@code SPILLWAY_ADMIN_EMAILS} onto these).
 *
 * @param issuerUri    the OIDC issuer; its {@code /.well-known/openid-configuration} is read on first use
 * @param clientId     the client id registered at the IdP
 * @param clientSecret the client secret; blank for a public client (PKCE is used either way)
 * @param scopes       comma list, default {@code openid,email,profile}
 * @param redirectUri  override of {@code {baseUrl}/login/oauth2/code/spillway}, e.g. behind a proxy
 * @param providerName shown on the sign-in button ("Sign in with …")
 * @param groupsClaim  the ID-token (or userinfo) claim that lists the user's groups, default {@code groups}
 * @param groupRoles   {@code group=role} pairs, see {@link GroupRoleMapping}
 * @param adminEmails  comma list of emails that are organisation admins
 * @param emailClaim   the claim that carries the user's email, default {@code email} (the local development IdP
 *                     of {@code ./spillway up} uses {@code sub}: the username typed at its sign-in page)
 */
@ConfigurationProperties("spillway.oidc")
public record SsoProperties(
    String issuerUri,
    String clientId,
    String clientSecret,
    String scopes,
    String redirectUri,
    String providerName,
    String groupsClaim,
    String groupRoles,
    String adminEmails,
    String emailClaim) {

  public static final String REGISTRATION_ID = "spillway";

  public SsoProperties {
    issuerUri = blankToNull(issuerUri);
    clientId = blankToNull(clientId);
    clientSecret = blankToNull(clientSecret);
    scopes = blankToNull(scopes) == null ? "openid,email,profile" : scopes;
    redirectUri = blankToNull(redirectUri);
    providerName = blankToNull(providerName) == null ? "single sign-on" : providerName.strip();
    groupsClaim = blankToNull(groupsClaim) == null ? "groups" : groupsClaim.strip();
    emailClaim = blankToNull(emailClaim) == null ? "email" : emailClaim.strip();
  }

  /** SSO is on when an issuer and a client id are configured. */
  public boolean enabled() {
    return issuerUri != null && clientId != null;
  }

  public List<String> scopeList() {
    return Arrays.stream(scopes.split("[,\\s]+")).map(String::strip).filter(s -> !s.isEmpty()).distinct().toList();
  }

  public Set<String> adminEmailSet() {
    if (adminEmails == null) {
      return Set.of();
    }
    return Arrays.stream(adminEmails.split("[,;\\s]+")).map(s -> s.strip().toLowerCase(Locale.ROOT))
        .filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  @Override
  public String toString() {
    return "SsoProperties[issuerUri=" + issuerUri + ", clientId=" + clientId + ", clientSecret="
        + (clientSecret == null ? "none" : "<secret>") + ", scopes=" + scopes + ", groupsClaim=" + groupsClaim + "]";
  }
}
