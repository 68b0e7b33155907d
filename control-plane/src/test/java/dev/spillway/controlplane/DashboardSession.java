package dev.spillway.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser as far as HTTP goes: a JDK HttpClient with its own cookie jar, following no redirects on its own (tests
 * look at each hop), talking to the control plane and to the identity provider.
 */
public final class DashboardSession {
  private static final Pattern CSRF = Pattern.compile("X-CSRF-TOKEN&quot;: &quot;([^&]+)&quot;");

  private final String baseUrl;
  private final CookieManager cookies;
  private final HttpClient http;

  DashboardSession(String baseUrl) {
    this(baseUrl, new CookieManager(null, CookiePolicy.ACCEPT_ALL));
  }

  private DashboardSession(String baseUrl, CookieManager cookies) {
    this.baseUrl = baseUrl;
    this.cookies = cookies;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(cookies)
        .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /**
   * The same browser (the same cookies) talking to another control-plane replica at {@code otherBaseUrl}, as a
   * load balancer without sticky sessions would send it.
   */
  public DashboardSession onReplica(String otherBaseUrl) {
    return new DashboardSession(otherBaseUrl, cookies);
  }

  /** Runs the authorization-code flow from the sign-in button to the landing page; returns the final answer. */
  public ApiResponse signIn() {
    ApiResponse response = get("/oauth2/authorization/spillway");
    for (int hops = 0; hops < 10 && response.status() / 100 == 3; hops++) {
      response = getAbsolute(location(response));
    }
    return response;
  }

  /** Follows redirects from {@code response} until an answer that is not one. */
  public ApiResponse follow(ApiResponse response) {
    for (int hops = 0; hops < 10 && response.status() / 100 == 3; hops++) {
      response = getAbsolute(location(response));
    }
    return response;
  }

  public String location(ApiResponse response) {
    String location = response.header("Location");
    if (location == null) {
      throw new AssertionError("no Location in " + response.describe());
    }
    return location.startsWith("http") ? location : baseUrl + location;
  }

  public ApiResponse get(String path, String... headers) {
    return getAbsolute(baseUrl + path, headers);
  }

  public ApiResponse getAbsolute(String url, String... headers) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), "GET", url, headers);
  }

  /** A form post with the page's CSRF token (read from a page of the dashboard). */
  public ApiResponse post(String path, Map<String, String> form, String... headers) {
    Map<String, String> withToken = new LinkedHashMap<>(form);
    withToken.put("_csrf", csrfToken());
    return postWithoutCsrf(path, withToken, headers);
  }

  /** A form post as a forged cross-site form would send it: the cookie, but no CSRF token. */
  public ApiResponse postWithoutCsrf(String path, Map<String, String> form, String... headers) {
    return postBody(path, encode(form), headers);
  }

  /** A form with repeated fields (name, value pairs). */
  public ApiResponse postPairs(String path, List<String> pairs, String... headers) {
    List<String> all = new ArrayList<>(pairs);
    all.add("_csrf");
    all.add(csrfToken());
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < all.size(); i += 2) {
      if (body.length() > 0) {
        body.append('&');
      }
      body.append(URLEncoder.encode(all.get(i), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(all.get(i + 1), StandardCharsets.UTF_8));
    }
    return postBody(path, body.toString(), headers);
  }

  private ApiResponse postBody(String path, String body, String... headers) {
    String[] all = concat(headers, "Content-Type", "application/x-www-form-urlencoded");
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).POST(HttpRequest.BodyPublishers.ofString(body)),
        "POST", baseUrl + path, all);
  }

  /** A JSON call to the admin API with the session cookie (and, if given, the CSRF header). */
  public ApiResponse api(String method, String path, String json, boolean withCsrf) {
    List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json"));
    if (withCsrf) {
      headers.add("X-CSRF-TOKEN");
      headers.add(csrfToken());
    }
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).method(method, json == null
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)), method, baseUrl + path,
        headers.toArray(String[]::new));
  }

  /** The token the dashboard renders into every page (hx-headers on body). */
  public String csrfToken() {
    ApiResponse page = get("/login");
    Matcher m = CSRF.matcher(page.text());
    if (!m.find()) {
      page = get("/");
      m = CSRF.matcher(page.text());
      if (!m.find()) {
        throw new AssertionError("no CSRF token on the page: " + page.describe());
      }
    }
    return m.group(1);
  }

  public HttpCookie sessionCookie() {
    return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("SPILLWAY_SESSION"))
        .findFirst().orElse(null);
  }

  /** The session's id as Spring Session stores it ({@code SPRING_SESSION.SESSION_ID}); the cookie holds it base64. */
  public String sessionId() {
    HttpCookie cookie = sessionCookie();
    if (cookie == null) {
      throw new AssertionError("no SPILLWAY_SESSION cookie");
    }
    return new String(Base64.getDecoder().decode(cookie.getValue()), StandardCharsets.US_ASCII);
  }

  /** Forgets the session cookie, as if it had expired. */
  public void dropSession() {
    cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("SPILLWAY_SESSION")).toList()
        .forEach(c -> cookies.getCookieStore().remove(null, c));
  }

  private ApiResponse send(HttpRequest.Builder builder, String method, String url, String... headers) {
    builder.timeout(Duration.ofSeconds(15));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<byte[]> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new ApiResponse(method, url, r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String encode(Map<String, String> form) {
    return form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
