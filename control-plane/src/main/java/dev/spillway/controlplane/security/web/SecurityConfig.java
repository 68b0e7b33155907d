package dev.spillway.controlplane.security.web;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.dashboard.DashboardAuthHandlers;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.sso.SessionActorRefreshFilter;
import dev.spillway.controlplane.sso.SsoClientRegistrations;
import dev.spillway.controlplane.sso.SsoUserService;
import dev.spillway.controlplane.sso.UnstoredAuthorizedClients;
import dev.spillway.controlplane.user.UserActors;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.client.oidc.web.logout.OidcClientInitiatedLogoutSuccessHandler;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;
import org.springframework.web.context.WebApplicationContext;
import org.springframework.web.context.support.WebApplicationContextUtils;

/**
 * Four filter chains: the management port's metrics and health (open, see {@link #managementChain}), nodes on {@code /internal/**} (node token), the admin API on {@code /api/**} (bearer
 * tokens — the bootstrap token or named API tokens — or a dashboard session), and the dashboard (OIDC sign-in,
 * session cookie {@code SPILLWAY_SESSION}, CSRF on every change; health endpoints and static files open).
 * Dashboard sessions are stored in PostgreSQL and shared by all replicas (Spring Session JDBC); the CSRF token lives
 * in the session too (the default session-based token repository, on both chains), so a page rendered by one
 * replica posts to any other.
 *
 * <p>Roles: {@code org_admin} does everything; an org {@code viewer} reads everything; a {@code team_admin} reads
 * and manages the keys and members of its teams and reads the catalogue (providers, routes, prices, users); a team
 * viewer reads its teams and their keys. The URL rules below are checked before any body is read, so a wrong role
 * is always a 403, never a 400; {@link Authz} then pins team roles to their teams. Pages follow the same rules as
 * the API they show.
 *
 * <p>Async and error dispatches are let through: the original request was already authorised, and with stateless
 * chains the security context is gone by the time a long-poll's result is dispatched.
 */
@Configuration
class SecurityConfig {
  private static final String[] ANY_ROLE = {"ORG_ADMIN", "VIEWER", "TEAM_ADMIN", "TEAM_VIEWER"};
  private static final String[] CATALOGUE = {"ORG_ADMIN", "VIEWER", "TEAM_ADMIN"};
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  /**
   * The management port ({@code SPILLWAY_CP_ADMIN_PORT}): Prometheus scrapes {@code /metrics} without a login, as
   * it scrapes a node's admin port. The port is bound to loopback unless the operator opens it, and serves only
   * metrics and health (application.yml; any other path there is a 404). The chain matches requests of the
   * management server only, so on the main port the same paths fall through to the chains below.
   */
  @Bean
  @Order(0)
  SecurityFilterChain managementChain(HttpSecurity http) throws Exception {
    http.securityMatcher(SecurityConfig::onManagementServer)
        .csrf(c -> c.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .requestCache(c -> c.disable())
        .authorizeHttpRequests(a -> a.anyRequest().permitAll());
    return http.build();
  }

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
  SecurityFilterChain apiChain(HttpSecurity http, AdminTokenResolver tokens, UserActors users) throws Exception {
    var unauthorized = JsonAuthErrors.unauthorized("missing or invalid admin token");
    AccessDeniedHandler forbidden = JsonAuthErrors.forbidden();
    AccessDeniedHandler csrfAware = (request, response, e) -> {
      if (e instanceof CsrfException && !signedIn()) {
        // No session (or an expired one): the caller is simply not authenticated.
        unauthorized.commence(request, response, null);
      } else if (e instanceof CsrfException) {
        JsonAuthErrors.csrf().handle(request, response, e);
      } else {
        forbidden.handle(request, response, e);
      }
    };
    http.securityMatcher("/api/**")
        // A dashboard session may call the API (the browser sends its cookie); such writes need the CSRF token.
        // Bearer tokens are never sent by browsers on their own, so requests that carry one are exempt (and are
        // judged by the token alone, see BearerTokenFilter).
        .csrf(c -> c.requireCsrfProtectionMatcher(request -> !SAFE_METHODS.contains(request.getMethod())
            && request.getHeader("Authorization") == null))
        // Reads the session of a signed-in dashboard user, never creates one.
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.NEVER))
        .requestCache(c -> c.disable())
        .addFilterBefore(new BearerTokenFilter(tokens::resolve), AnonymousAuthenticationFilter.class)
        .addFilterBefore(new SessionActorRefreshFilter(users), BearerTokenFilter.class)
        .authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .requestMatchers(HttpMethod.GET, "/api/v1/openapi.json").permitAll()
            // Team members read their own teams and keys; which team is checked per request (Authz).
            .requestMatchers(HttpMethod.GET, "/api/v1/teams", "/api/v1/teams/*", "/api/v1/teams/*/members",
                "/api/v1/virtual-keys", "/api/v1/virtual-keys/*", "/api/v1/usage", "/api/v1/usage/unpriced",
                "/api/v1/budget-alerts", "/api/v1/cache/stats", "/api/v1/requests", "/api/v1/requests/*")
            .hasAnyRole(ANY_ROLE)
            // Team admins need the catalogue (models, providers, prices) and the user directory to manage keys
            // and members; none of it carries secrets.
            .requestMatchers(HttpMethod.GET, "/api/v1/providers", "/api/v1/providers/*", "/api/v1/routes",
                "/api/v1/routes/*", "/api/v1/routes/*/health", "/api/v1/prices", "/api/v1/users", "/api/v1/users/*")
            .hasAnyRole(CATALOGUE)
            .requestMatchers(HttpMethod.GET, "/api/**").hasAnyRole("ORG_ADMIN", "VIEWER")
            // Team admins manage their teams' keys and members; the team is checked per request (Authz).
            .requestMatchers("/api/v1/virtual-keys", "/api/v1/virtual-keys/*", "/api/v1/virtual-keys/*/rotate",
                "/api/v1/teams/*/members", "/api/v1/teams/*/members/*")
            .hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            // Team admins invalidate their teams' cached answers (scope checked per request, Authz).
            .requestMatchers(HttpMethod.POST, "/api/v1/cache/invalidations").hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            // Team admins choose their teams' request-log settings (team checked per request; `full` needs an org
            // admin, TeamService).
            .requestMatchers(HttpMethod.PUT, "/api/v1/teams/*/logging").hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            // Team admins replay their teams' requests on their teams' keys (checked per request, Authz).
            .requestMatchers(HttpMethod.POST, "/api/v1/requests/*/replay").hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            .anyRequest().hasRole("ORG_ADMIN"))
        .exceptionHandling(e -> e.authenticationEntryPoint(unauthorized).accessDeniedHandler(csrfAware));
    return http.build();
  }

  @Bean
  @Order(3)
  SecurityFilterChain dashboardChain(HttpSecurity http, SsoClientRegistrations registrations,
      SsoUserService ssoUsers, UserActors users) throws Exception {
    var logoutSuccess = new OidcClientInitiatedLogoutSuccessHandler(registrations);
    logoutSuccess.setPostLogoutRedirectUri("{baseUrl}/login?logout");
    logoutSuccess.setDefaultTargetUrl("/login?logout");
    HttpSessionRequestCache requestCache = new HttpSessionRequestCache();
    // After sign-in, return to the page that was asked for; never to an htmx fragment or a form post.
    requestCache.setRequestMatcher(request -> "GET".equals(request.getMethod())
        && request.getHeader("HX-Request") == null && isPage(request));
    http.authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR, DispatcherType.FORWARD).permitAll()
            .requestMatchers("/healthz", "/readyz", "/error", "/login", "/css/**", "/js/**", "/img/**",
                "/webjars/**", "/favicon.ico").permitAll()
            // A signed-in user without a role is told there how to get one.
            .requestMatchers(HttpMethod.GET, "/").authenticated()
            .requestMatchers(HttpMethod.GET, "/teams", "/teams/**", "/virtual-keys", "/virtual-keys/**", "/budgets",
                "/usage", "/usage/**", "/cache", "/logs", "/logs/**").hasAnyRole(ANY_ROLE)
            .requestMatchers(HttpMethod.GET, "/providers", "/providers/**", "/routes", "/routes/**")
            .hasAnyRole(CATALOGUE)
            .requestMatchers(HttpMethod.GET, "/nodes", "/nodes/**", "/audit", "/audit/**", "/settings",
                "/settings/**", "/routing-rules", "/routing-rules/**").hasAnyRole("ORG_ADMIN", "VIEWER")
            .requestMatchers(HttpMethod.POST, "/virtual-keys", "/virtual-keys/**", "/teams/*/members",
                "/teams/*/members/**", "/cache/teams/*/invalidate", "/teams/*/logging", "/logs/*/replay")
            .hasAnyRole("ORG_ADMIN", "TEAM_ADMIN")
            .anyRequest().hasRole("ORG_ADMIN"))
        .oauth2Login(o -> o.loginPage(DashboardAuthHandlers.LOGIN_PAGE)
            .clientRegistrationRepository(registrations)
            .authorizedClientRepository(new UnstoredAuthorizedClients())
            .userInfoEndpoint(u -> u.oidcUserService(ssoUsers))
            .failureUrl(DashboardAuthHandlers.LOGIN_PAGE + "?error"))
        .logout(l -> l.logoutUrl("/logout").logoutSuccessHandler(logoutSuccess)
            .deleteCookies("SPILLWAY_SESSION"))
        .requestCache(c -> c.requestCache(requestCache))
        .addFilterBefore(new SessionActorRefreshFilter(users), AnonymousAuthenticationFilter.class)
        .exceptionHandling(e -> e.authenticationEntryPoint(DashboardAuthHandlers.entryPoint())
            .accessDeniedHandler(DashboardAuthHandlers.accessDenied()))
        .headers(h -> h.contentSecurityPolicy(csp -> csp.policyDirectives(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
                + "frame-ancestors 'none'; form-action 'self' " + formActionSources(registrations))));
    return http.build();
  }

  /** The request arrived at the management server (its own port, its own child application context). */
  private static boolean onManagementServer(HttpServletRequest request) {
    WebApplicationContext context = WebApplicationContextUtils.getWebApplicationContext(request.getServletContext());
    return context != null && WebServerApplicationContext.hasServerNamespace(context, "management");
  }

  private static boolean isPage(HttpServletRequest request) {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    return !(path.startsWith("/webjars/") || path.startsWith("/css/") || path.startsWith("/js/")
        || path.startsWith("/img/") || path.equals("/favicon.ico") || path.startsWith("/error"));
  }

  /** Logout posts to our form and is then redirected to the IdP; form-action must allow that hop. */
  private static String formActionSources(SsoClientRegistrations registrations) {
    return registrations.issuerOrigin().map(origin -> origin + ";").orElse(";");
  }

  private static boolean signedIn() {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    return auth != null && auth.isAuthenticated() && !(auth instanceof AnonymousAuthenticationToken);
  }
}
