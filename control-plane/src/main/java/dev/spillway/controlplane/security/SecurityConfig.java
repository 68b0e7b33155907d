package dev.spillway.controlplane.security;

import dev.spillway.controlplane.SpillwayProperties;
import jakarta.servlet.DispatcherType;
import java.util.Optional;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;

/**
 * Three filter chains: nodes on {@code /internal/**} (node token), the admin API on {@code /api/**} (bearer
 * tokens: the bootstrap token or named API tokens), and everything else (health endpoints open).
 *
 * <p>Roles: {@code org_admin} does everything; an org {@code viewer} reads everything; a {@code team_admin} reads
 * and manages the keys and members of its teams and reads the catalogue (providers, routes, prices, users); a team
 * viewer reads its teams and their keys. The URL rules below are checked before any body is read, so a wrong role
 * is always a 403, never a 400; {@link Authz} then pins team roles to their teams.
 *
 * <p>Async and error dispatches are let through: the original request was already authorised, and with stateless
 * chains the security context is gone by the time a long-poll's result is dispatched.
 */
@Configuration
public class SecurityConfig {

  @Bean
  @Order(1)
  SecurityFilterChain nodeChain(HttpSecurity http, SpillwayProperties props) throws Exception {
    Actor node = new Actor("node", null, "data-plane node", null, null);
    http.securityMatcher("/internal/**")
        .csrf(c -> c.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .addFilterBefore(new BearerTokenFilter(token -> BearerTokenFilter.matches(props.nodeToken(), token)
            ? Optional.of(node) : Optional.empty()), AnonymousAuthenticationFilter.class)
        .authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .anyRequest().authenticated())
        .exceptionHandling(e -> e.authenticationEntryPoint(JsonAuthErrors.unauthorized("missing or invalid node token"))
            .accessDeniedHandler(JsonAuthErrors.forbidden()));
    return http.build();
  }

  @Bean
  @Order(2)
  SecurityFilterChain apiChain(HttpSecurity http, AdminTokenResolver tokens) throws Exception {
    http.securityMatcher("/api/**")
        // Bearer tokens are not sent automatically by browsers, so CSRF does not apply to this chain.
        .csrf(c -> c.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .addFilterBefore(new BearerTokenFilter(tokens::resolve), AnonymousAuthenticationFilter.class)
        .authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .requestMatchers(HttpMethod.GET, "/api/v1/openapi.json").permitAll()
            // Team members read their own teams and keys; which team is checked per request (Authz).
            .requestMatchers(HttpMethod.GET, "/api/v1/teams", "/api/v1/teams/*", "/api/v1/teams/*/members",
                "/api/v1/virtual-keys", "/api/v1/virtual-keys/*")
            .hasAnyRole("ORG_ADMIN", "VIEWER", "TEAM_ADMIN", "TEAM_VIEWER")
            // Team admins need the catalogue (models, providers, prices) and the user directory to manage keys
            // and members; none of it carries secrets.
            .requestMatchers(HttpMethod.GET, "/api/v1/providers", "/api/v1/providers/*", "/api/v1/routes",
                "/api/v1/routes/*", "/api/v1/prices", "/api/v1/users", "/api/v1/users/*")
            .hasAnyRole("ORG_ADMIN", "VIEWER", "TEAM_ADMIN")
            .requestMatchers(HttpMethod.GET, "/api/**").hasAnyRole("ORG_ADMIN", "VIEWER")
            // Team admins manage their teams' keys and members; the team is checked per request (Authz).
            .requestMatchers("/api/v1/virtual-keys", "/api/v1/virtual-keys/*", "/api/v1/virtual-keys/*/rotate",
                "/api/v1/teams/*/members", "/api/v1/teams/*/members/*")
            .hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            .anyRequest().hasRole("ORG_ADMIN"))
        .exceptionHandling(e -> e
            .authenticationEntryPoint(JsonAuthErrors.unauthorized("missing or invalid admin token"))
            .accessDeniedHandler(JsonAuthErrors.forbidden()));
    return http.build();
  }

  @Bean
  @Order(3)
  SecurityFilterChain defaultChain(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .requestMatchers("/healthz", "/readyz", "/error").permitAll()
            .anyRequest().denyAll())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
    return http.build();
  }
}
