package dev.spillway.controlplane.security.web;

import dev.spillway.controlplane.common.ApiError;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import tools.jackson.databind.json.JsonMapper;

/** 401 and 403 in the admin API's error shape instead of Spring Security's defaults. */
final class JsonAuthErrors {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private JsonAuthErrors() {}

  static AuthenticationEntryPoint unauthorized(String message) {
    return (request, response, e) -> write(response, HttpServletResponse.SC_UNAUTHORIZED, message);
  }

  static AccessDeniedHandler forbidden() {
    return (request, response, e) -> write(response, HttpServletResponse.SC_FORBIDDEN,
        "your role does not allow this action");
  }

  static AccessDeniedHandler csrf() {
    return (request, response, e) -> write(response, HttpServletResponse.SC_FORBIDDEN,
        "a dashboard session must send its CSRF token (header X-CSRF-TOKEN) with every change");
  }

  private static void write(HttpServletResponse response, int status, String message) throws IOException {
    response.setStatus(status);
    response.setContentType(MediaType.APPLICATION_JSON_VALUE);
    if (status == HttpServletResponse.SC_UNAUTHORIZED) {
      response.setHeader("WWW-Authenticate", "Bearer");
    }
    response.getOutputStream().write(JSON.writeValueAsBytes(ApiError.of(message, null)));
  }
}
