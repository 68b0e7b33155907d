package dev.spillway.controlplane.sso;

import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.user.UserSignIn;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.userinfo.OAuth2UserService;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.stereotype.Component;

/**
 * Turns a verified OIDC sign-in into a dashboard user: reads email, name and groups from the ID token (and the
 * userinfo endpoint when the IdP has one), provisions the user on first sign-in and brings SSO-granted roles up to
 * date ({@link UserSignIn}).
 */
@Component
public class SsoUserService implements OAuth2UserService<OidcUserRequest, OidcUser> {
  private static final Logger log = LoggerFactory.getLogger(SsoUserService.class);

  private final OidcUserService delegate = new OidcUserService();
  private final UserSignIn signIn;
  private final SsoProperties props;
  private final GroupRoleMapping groups;
  private final Set<String> adminEmails;

  public SsoUserService(UserSignIn signIn, SsoProperties props) {
    this.signIn = signIn;
    this.props = props;
    this.groups = GroupRoleMapping.parse(props.groupRoles());
    this.adminEmails = props.adminEmailSet();
  }

  @Override
  public OidcUser loadUser(OidcUserRequest request) {
    OidcUser oidc = delegate.loadUser(request);
    String email = email(oidc, props.emailClaim());
    if (email == null) {
      throw refused("invalid_user_info", "the identity provider sent no email address for this account (the "
          + "email scope and claim are needed)");
    }
    if (Boolean.FALSE.equals(oidc.getEmailVerified())) {
      throw refused("invalid_user_info", "the identity provider says the email address " + email
          + " is not verified");
    }
    UserSignIn.Grants fromGroups = groups.grantsFor(groupsOf(oidc));
    String orgRole = adminEmails.contains(email.toLowerCase(Locale.ROOT)) ? "org_admin" : fromGroups.orgRole();
    String issuer = oidc.getIssuer() == null ? props.issuerUri() : oidc.getIssuer().toString();
    try {
      Actor actor = signIn.signIn(new UserSignIn.Identity(issuer, oidc.getSubject(), email, oidc.getFullName()),
          new UserSignIn.Grants(orgRole, fromGroups.teamRoles()));
      log.info("dashboard sign-in: {} (roles: {})", email, actor.authorities());
      return new SessionUser(oidc, actor);
    } catch (UserSignIn.DisabledUserException e) {
      throw refused("access_denied", e.getMessage());
    }
  }

  private static String email(OidcUser oidc, String claim) {
    Object configured = oidc.getClaims().get(claim);
    String email = configured instanceof String s ? s : null;
    if (email == null || email.isBlank()) {
      // Entra ID work accounts often carry the address only as preferred_username (or upn).
      for (String fallback : List.of("preferred_username", "upn")) {
        Object value = oidc.getClaims().get(fallback);
        if (value instanceof String s && s.contains("@")) {
          return s.strip();
        }
      }
      return null;
    }
    return email.strip();
  }

  private Collection<String> groupsOf(OidcUser oidc) {
    if (groups.isEmpty()) {
      return List.of();
    }
    Object claim = oidc.getClaims().get(props.groupsClaim());
    List<String> result = new ArrayList<>();
    if (claim instanceof Collection<?> values) {
      values.forEach(v -> result.add(String.valueOf(v)));
    } else if (claim instanceof String s) {
      for (String part : s.split("[,\\s]+")) {
        if (!part.isBlank()) {
          result.add(part);
        }
      }
    }
    return result;
  }

  private static OAuth2AuthenticationException refused(String code, String message) {
    return new OAuth2AuthenticationException(new OAuth2Error(code, message, null), message);
  }
}
