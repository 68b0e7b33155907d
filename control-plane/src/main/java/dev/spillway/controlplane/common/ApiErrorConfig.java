package dev.spillway.controlplane.common;

import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.web.WebProperties;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.error.BasicErrorController;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorViewResolver;
import org.springframework.boot.webmvc.error.ErrorAttributes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.security.web.firewall.HttpStatusRequestRejectedHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Makes every failure under the JSON APIs reach the application, so that it answers in the API's shape: Tomcat
 * passes an encoded slash ({@code %2F}) in a path on instead of answering its own HTML page; Spring Security's
 * firewall, which refuses it (and other dangerous paths), answers 400 through the error page instead of a 500; the
 * error page itself ({@link ApiErrorController}) and request bodies over the limit ({@link RequestBodyLimit}) answer
 * JSON.
 */
@Configuration(proxyBeanMethods = false)
class ApiErrorConfig {

  @Bean
  BasicErrorController basicErrorController(ErrorAttributes errorAttributes, WebProperties web,
      ObjectProvider<ErrorViewResolver> errorViewResolvers) {
    return new ApiErrorController(errorAttributes, web.getError(), errorViewResolvers.orderedStream().toList());
  }

  @Bean
  TomcatConnectorCustomizer encodedSlashReachesTheApplication() {
    // Passed on still encoded (never decoded to a '/', which would change the path's meaning); the firewall below
    // then refuses the request.
    return connector -> connector.setEncodedSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
  }

  @Bean
  RequestRejectedHandler firewallRejectionsAreBadRequests() {
    return new HttpStatusRequestRejectedHandler();
  }

  @Bean
  FilterRegistrationBean<RequestBodyLimit> requestBodyLimit(
      @Value("${spillway.max-request-body-bytes:4194304}") long maxBytes) {
    FilterRegistrationBean<RequestBodyLimit> registration = new FilterRegistrationBean<>(new RequestBodyLimit(maxBytes));
    registration.addUrlPatterns("/api/*");
    // Before Spring Security and everything else: a body over the limit is refused before anyone reads it.
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }
}
