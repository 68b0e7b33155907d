package dev.spillway.controlplane.sso;

import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.ActorPrincipal;
import java.io.Serial;
import java.io.Serializable;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.OidcUserInfo;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * The principal of a dashboard session: the OIDC user (its ID token is the hint for RP-initiated logout) and the
 * {@link Actor} that authorisation and the audit log use. Its authorities are the actor's roles.
 *
 * <p>Serializable: it is the principal of the security context that Spring Session stores in PostgreSQL (Spring
 * Security's {@code DefaultOidcUser} is serializable too). The actor is re-read from the database on every request
 * anyway ({@link SessionActorRefreshFilter}), so a stored one is never trusted for long.
 */
public final class SessionUser implements OidcUser, ActorPrincipal, Serializable {
  @Serial
  private static final long serialVersionUID = 1L;

  private final OidcUser oidc;
  private final Actor actor;

  public SessionUser(OidcUser oidc, Actor actor) {
    this.oidc = Objects.requireNonNull(oidc, "oidc");
    this.actor = Objects.requireNonNull(actor, "actor");
  }

  @Override
  public Actor actor() {
    return actor;
  }

  /** The same sign-in with the actor's current roles. */
  public SessionUser withActor(Actor refreshed) {
    return new SessionUser(oidc, refreshed);
  }

  @Override
  public Map<String, Object> getClaims() {
    return oidc.getClaims();
  }

  @Override
  public OidcUserInfo getUserInfo() {
    return oidc.getUserInfo();
  }

  @Override
  public OidcIdToken getIdToken() {
    return oidc.getIdToken();
  }

  @Override
  public Map<String, Object> getAttributes() {
    return oidc.getAttributes();
  }

  @Override
  public Collection<? extends GrantedAuthority> getAuthorities() {
    return authorities(actor);
  }

  /** The user's email: what the audit log and the page header show. */
  @Override
  public String getName() {
    return actor.name();
  }

  public static Collection<GrantedAuthority> authorities(Actor actor) {
    return actor.authorities().stream().<GrantedAuthority>map(r -> new SimpleGrantedAuthority(r.authority())).toList();
  }

  @Override
  public String toString() {
    return "SessionUser[" + actor.name() + "]";
  }
}
