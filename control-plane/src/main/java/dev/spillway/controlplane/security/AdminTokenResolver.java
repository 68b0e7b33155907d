package dev.spillway.controlplane.security;

import dev.spillway.controlplane.SpillwayProperties;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** Turns an admin bearer token into an {@link Actor}: the bootstrap token from the environment. */
@Component
public class AdminTokenResolver {
  private final SpillwayProperties props;

  public AdminTokenResolver(SpillwayProperties props) {
    this.props = props;
  }

  public Optional<Actor> resolve(String token) {
    if (BearerTokenFilter.matches(props.adminToken(), token)) {
      return Optional.of(Actor.BOOTSTRAP);
    }
    return Optional.empty();
  }
}
