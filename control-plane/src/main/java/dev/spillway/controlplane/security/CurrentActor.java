package dev.spillway.controlplane.security;

import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** The {@link Actor} of the current request, or {@link Actor#SYSTEM} outside one. */
public final class CurrentActor {
  private CurrentActor() {}

  public static Actor get() {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    if (auth != null && auth.getPrincipal() instanceof Actor actor) {
      return actor;
    }
    return Actor.SYSTEM;
  }
}
