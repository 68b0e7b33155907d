package dev.spillway.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Real HTTP over loopback against the control plane, with one fixed {@code Authorization} header (or none).
 * Extra headers are given as name/value pairs.
 */
public final class ApiClient {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final String baseUrl;
  private final String authorization;

  public ApiClient(String baseUrl, String authorization) {
    this.baseUrl = baseUrl;
    this.authorization = authorization;
  }

  public ApiResponse get(String path, String... headers) {
    return send("GET", path, null, null, headers);
  }

  public ApiResponse post(String path, String json) {
    return send("POST", path, "application/json", json);
  }

  public ApiResponse patch(String path, String json) {
    return send("PATCH", path, "application/json", json);
  }

  public ApiResponse put(String path, String json) {
    return send("PUT", path, "application/json", json);
  }

  public ApiResponse delete(String path) {
    return send("DELETE", path, null, null);
  }

  public ApiResponse send(String method, String path, String contentType, String body, String... headers) {
    try {
      return toResponse(method, path, HTTP.send(request(method, path, contentType, body, headers),
          HttpResponse.BodyHandlers.ofByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + method + " " + path, e);
    }
  }

  /** Sends a binary body (e.g. gzipped); {@code contentType} may be null. */
  public ApiResponse sendBytes(String method, String path, String contentType, byte[] body, String... headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(request(method, path, contentType, null, headers),
        (name, value) -> true).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      return toResponse(method, path, HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + method + " " + path, e);
    }
  }

  /** Sends a body without a length (chunked), as a client streaming it would. */
  public ApiResponse sendStream(String method, String path, String contentType, byte[] body, String... headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(request(method, path, contentType, null, headers),
        (name, value) -> true).method(method, HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(body)));
    try {
      return toResponse(method, path, HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + method + " " + path, e);
    }
  }

  /** Sends without waiting, for long-polls that are answered later. */
  public CompletableFuture<ApiResponse> getAsync(String path, String... headers) {
    return HTTP.sendAsync(request("GET", path, null, null, headers), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> toResponse("GET", path, r));
  }

  private HttpRequest request(String method, String path, String contentType, String body, String... headers) {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers: " + headers.length + " values (expected: name/value pairs)");
    }
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .timeout(REQUEST_TIMEOUT)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    if (contentType != null) {
      builder.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  private static ApiResponse toResponse(String method, String path, HttpResponse<byte[]> response) {
    return new ApiResponse(method, path, response.statusCode(), response.headers(), response.body());
  }
}
