package dev.spillway.controlplane.security.web;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.apitoken.ApiTokenService;
import dev.spillway.controlplane.security.Actor;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Turns an admin bearer token into an {@link Actor}: the bootstrap token from the environment, or a named API
 * token from the database.
 */
@Component
class AdminTokenResolver {
  private final SpillwayProperties props;
  private final ApiTokenService apiTokens;

  AdminTokenResolver(SpillwayProperties props, ApiTokenService apiTokens) {
    this.props = props;
    this.apiTokens = apiTokens;
  }

  Optional<Actor> resolve(String token) {
    if (BearerTokenFilter.matches(props.adminToken(), token)) {
      return Optional.of(Actor.BOOTSTRAP);
    }
    return apiTokens.authenticate(token);
  }
}
