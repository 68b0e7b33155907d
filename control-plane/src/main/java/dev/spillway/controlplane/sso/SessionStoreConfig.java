package dev.spillway.controlplane.sso;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.session.autoconfigure.DefaultCookieSerializerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.convert.support.GenericConversionService;
import org.springframework.core.serializer.support.DeserializingConverter;
import org.springframework.core.serializer.support.SerializationFailedException;
import org.springframework.core.serializer.support.SerializingConverter;
import org.springframework.session.config.SessionRepositoryCustomizer;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;

/**
 * Dashboard sessions are stored in PostgreSQL by Spring Session JDBC (tables from Flyway, settings in
 * application.yml), so every replica serves every session. Attributes are Java-serialised, as Spring Session does by
 * default.
 *
 * <p>One change to the default: an attribute that cannot be read back — written by a replica running another
 * version whose classes differ, during a rolling upgrade — reads as absent instead of failing every request of that
 * session with a 500. Without its security context the session is simply not signed in, and the user signs in again.
 */
@Configuration(proxyBeanMethods = false)
class SessionStoreConfig {
  private static final Logger log = LoggerFactory.getLogger(SessionStoreConfig.class);

  /**
   * {@code SPILLWAY_COOKIE_SECURE=true} forces the Secure flag; otherwise the cookie is Secure exactly on HTTPS
   * requests. (Spring Session's serializer only asks the request while no value was ever set, so "false" is
   * never passed on.)
   */
  @Bean
  DefaultCookieSerializerCustomizer secureSessionCookie(@Value("${spillway.cookie-secure:false}") boolean forced) {
    return serializer -> {
      if (forced) {
        serializer.setUseSecureCookie(true);
      }
    };
  }

  @Bean
  SessionRepositoryCustomizer<JdbcIndexedSessionRepository> unreadableSessionAttributesAreAbsent() {
    return repository -> repository.setConversionService(conversions(SessionStoreConfig.class.getClassLoader()));
  }

  static GenericConversionService conversions(ClassLoader classLoader) {
    GenericConversionService conversions = new GenericConversionService();
    conversions.addConverter(Object.class, byte[].class, new SerializingConverter());
    DeserializingConverter deserializer = new DeserializingConverter(classLoader);
    conversions.addConverter(byte[].class, Object.class, bytes -> {
      try {
        return deserializer.convert(bytes);
      } catch (SerializationFailedException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        log.warn("a dashboard session attribute cannot be read ({}: {}); it is ignored and that user signs in "
            + "again", cause.getClass().getSimpleName(), cause.getMessage());
        return null;
      }
    });
    return conversions;
  }
}
