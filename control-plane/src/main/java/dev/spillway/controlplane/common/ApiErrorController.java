package dev.spillway.controlplane.common;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.web.ErrorProperties;
import org.springframework.boot.webmvc.autoconfigure.error.BasicErrorController;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorViewResolver;
import org.springframework.boot.webmvc.error.ErrorAttributes;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.View;
import tools.jackson.databind.json.JsonMapper;

/**
 * The servlet container's error page ({@code /error}): what Tomcat, Spring Security's firewall and unhandled
 * exceptions end in. Under the JSON APIs ({@code /api/}, {@code /internal/}) and for a direct request to
 * {@code /error} it answers the admin API's shape, {@code {"error":{"message":…,"field":null}}}, whatever the
 * client accepts; dashboard paths keep Spring Boot's HTML error page.
 */
class ApiErrorController extends BasicErrorController {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  ApiErrorController(ErrorAttributes errorAttributes, ErrorProperties errorProperties,
      List<ErrorViewResolver> errorViewResolvers) {
    super(errorAttributes, errorProperties, errorViewResolvers);
  }

  @Override
  public ModelAndView errorHtml(HttpServletRequest request, HttpServletResponse response) {
    if (!isApiError(request)) {
      return super.errorHtml(request, response);
    }
    HttpStatus status = statusOf(request);
    byte[] body = JSON.writeValueAsBytes(ApiError.of(messageFor(status), null));
    View json = new View() {
      @Override
      public String getContentType() {
        return MediaType.APPLICATION_JSON_VALUE;
      }

      @Override
      public void render(Map<String, ?> model, HttpServletRequest req, HttpServletResponse res) throws Exception {
        res.setStatus(status.value());
        res.setContentType(MediaType.APPLICATION_JSON_VALUE);
        res.setCharacterEncoding(StandardCharsets.UTF_8.name());
        res.getOutputStream().write(body);
      }
    };
    ModelAndView view = new ModelAndView(json);
    view.setStatus(status);
    return view;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public ResponseEntity<Map<String, Object>> error(HttpServletRequest request) {
    if (!isApiError(request)) {
      return super.error(request);
    }
    HttpStatus status = statusOf(request);
    // The content type is set, so no content negotiation can turn the error itself into a 406.
    return (ResponseEntity) ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
        .body(ApiError.of(messageFor(status), null));
  }

  @Override
  public ResponseEntity<String> mediaTypeNotAcceptable(HttpServletRequest request) {
    HttpStatus status = statusOf(request);
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
        .body(JSON.writeValueAsString(ApiError.of(messageFor(status), null)));
  }

  /** A JSON API's path, or {@code /error} asked for directly (no error attribute: nothing failed). */
  private static boolean isApiError(HttpServletRequest request) {
    Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    if (uri == null) {
      return true;
    }
    String path = uri.toString().substring(request.getContextPath().length());
    return path.startsWith("/api/") || path.startsWith("/internal/");
  }

  private HttpStatus statusOf(HttpServletRequest request) {
    if (request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) == null) {
      return HttpStatus.NOT_FOUND; // GET /error itself: there is no such endpoint
    }
    return getStatus(request);
  }

  /**
   * A fixed message per status: the container's own text may name internals (class names, the rejected string),
   * and an exception that got this far is logged by the container, not shown.
   */
  static String messageFor(HttpStatus status) {
    return switch (status) {
      case BAD_REQUEST -> "the request is malformed (request line, path, query or headers)";
      case NOT_FOUND -> "no such endpoint";
      case METHOD_NOT_ALLOWED -> "method not allowed here";
      case PAYLOAD_TOO_LARGE -> "request body too large";
      case INTERNAL_SERVER_ERROR -> "internal error; the control plane's log has the details";
      default -> status.getReasonPhrase().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
