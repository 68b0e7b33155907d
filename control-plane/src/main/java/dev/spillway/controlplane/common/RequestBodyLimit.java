package dev.spillway.controlplane.common;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * The admin API's request body limit ({@code spillway.max-request-body-bytes}, 4 MiB): Spring reads a JSON body
 * whole, so without it one 50 MB request costs the control plane 50 MB (and more as a tree). A declared length over
 * the limit is answered 413 before a byte is read; a body without a length (chunked) is counted as it is read and
 * fails with {@link TooLargeException}, which {@link ApiExceptionHandler} answers 413.
 */
final class RequestBodyLimit extends OncePerRequestFilter {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final long maxBytes;

  RequestBodyLimit(long maxBytes) {
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("spillway.max-request-body-bytes: " + maxBytes + " (expected: >= 1024)");
    }
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBytes) {
      response.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
      response.setContentType(MediaType.APPLICATION_JSON_VALUE);
      response.setCharacterEncoding(StandardCharsets.UTF_8.name());
      // The client is still sending; closing lets it stop instead of uploading the rest for nothing.
      response.setHeader("Connection", "close");
      response.getOutputStream().write(JSON.writeValueAsBytes(ApiError.of(message(), null)));
      return;
    }
    chain.doFilter(declared >= 0 ? request : new Counted(request), response);
  }

  private String message() {
    return "request body is larger than " + maxBytes + " bytes";
  }

  /** Thrown by a counted body once it passes the limit. */
  static final class TooLargeException extends IOException {
    TooLargeException(String message) {
      super(message);
    }
  }

  private final class Counted extends HttpServletRequestWrapper {
    private ServletInputStream stream;

    Counted(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new CountingStream(super.getInputStream());
      }
      return stream;
    }
  }

  private final class CountingStream extends ServletInputStream {
    private final ServletInputStream in;
    private long count;

    CountingStream(ServletInputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        add(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n > 0) {
        add(n);
      }
      return n;
    }

    private void add(int n) throws TooLargeException {
      count += n;
      if (count > maxBytes) {
        throw new TooLargeException(message());
      }
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
