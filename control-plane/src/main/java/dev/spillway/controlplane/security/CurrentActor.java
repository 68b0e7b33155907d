package dev.spillway.controlplane.security;

import java.util.function.Supplier;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;

/** The {@link Actor} of the current request, or {@link Actor#SYSTEM} outside one. */
public final class CurrentActor {
  private CurrentActor() {}

  public static Actor get() {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    if (auth != null && auth.getPrincipal() instanceof Actor actor) {
      return actor;
    }
    if (auth != null && auth.getPrincipal() instanceof ActorPrincipal principal) {
      return principal.actor();
    }
    return Actor.SYSTEM;
  }

  /**
   * Runs work as another actor on this thread, e.g. a sign-in that provisions the user who is signing in (there
   * is no authenticated request yet, and the audit log should name that user, not "system").
   */
  public static <T> T runAs(Actor actor, Supplier<T> work) {
    SecurityContext previous = SecurityContextHolder.getContext();
    SecurityContext context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(actor, null, java.util.List.of()));
    SecurityContextHolder.setContext(context);
    try {
      return work.get();
    } finally {
      SecurityContextHolder.setContext(previous);
    }
  }
}
