package dev.spillway.controlplane.security.web;

import dev.spillway.controlplane.security.Actor;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <token>} through a resolver. An unknown token leaves the request
 * unauthenticated (the entry point answers 401), even when a dashboard session came with it; the token itself is
 * never logged.
 */
final class BearerTokenFilter extends OncePerRequestFilter {
  private final Function<String, Optional<Actor>> resolver;

  BearerTokenFilter(Function<String, Optional<Actor>> resolver) {
    this.resolver = resolver;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String header = request.getHeader("Authorization");
    if (header != null) {
      // A request that names its credential is judged by that credential alone: a session cookie sent along (a
      // browser signed in to the dashboard) must not stand in for an invalid token, or CSRF could be bypassed.
      SecurityContextHolder.clearContext();
    }
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = header.substring(7).strip();
      resolver.apply(token).ifPresent(actor -> {
        List<SimpleGrantedAuthority> authorities = actor.authorities().stream()
            .map(role -> new SimpleGrantedAuthority(role.authority())).toList();
        var auth = UsernamePasswordAuthenticationToken.authenticated(actor, null, authorities);
        SecurityContextHolder.getContext().setAuthentication(auth);
      });
    }
    chain.doFilter(request, response);
  }

  /** Constant-time comparison so the token cannot be guessed byte by byte from response times. */
  static boolean matches(String expected, String given) {
    if (expected == null || expected.isEmpty() || given == null) {
      return false;
    }
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }
}
