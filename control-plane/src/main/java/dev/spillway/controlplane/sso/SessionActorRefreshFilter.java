package dev.spillway.controlplane.sso;

import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.user.UserActors;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.Optional;
import java.util.UUID;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Re-reads the signed-in user's roles on every request, as bearer tokens are looked up on every request: a role
 * taken away, or a user disabled, holds at once instead of at the session's end. A disabled or deleted user's
 * session is ended.
 */
public final class SessionActorRefreshFilter extends OncePerRequestFilter {
  private final UserActors users;
  private final SecurityContextRepository repository = new HttpSessionSecurityContextRepository();

  public SessionActorRefreshFilter(UserActors users) {
    this.users = users;
  }

  /** Static files carry no data: no need to read the user for each stylesheet and script. */
  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    return path.startsWith("/webjars/") || path.startsWith("/css/") || path.startsWith("/js/")
        || path.startsWith("/img/") || path.equals("/favicon.ico");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    SecurityContext context = SecurityContextHolder.getContext();
    if (context.getAuthentication() instanceof OAuth2AuthenticationToken token
        && token.getPrincipal() instanceof SessionUser user && user.actor().id() != null) {
      Optional<Actor> current = users.forUser(UUID.fromString(user.actor().id()));
      if (current.isEmpty()) {
        SecurityContextHolder.clearContext();
        HttpSession session = request.getSession(false);
        if (session != null) {
          session.invalidate();
        }
      } else if (!current.get().equals(user.actor())) {
        SessionUser refreshed = user.withActor(current.get());
        SecurityContext updated = SecurityContextHolder.createEmptyContext();
        updated.setAuthentication(new OAuth2AuthenticationToken(refreshed, SessionUser.authorities(current.get()),
            token.getAuthorizedClientRegistrationId()));
        SecurityContextHolder.setContext(updated);
        repository.saveContext(updated, request, response);
      }
    }
    chain.doFilter(request, response);
  }
}
