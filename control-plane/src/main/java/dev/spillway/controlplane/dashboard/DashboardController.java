package dev.spillway.controlplane.dashboard;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.core.annotation.AliasFor;
import org.springframework.stereotype.Controller;

/**
 * A dashboard page controller (server-rendered HTML). Its errors become pages or htmx fragments instead of the
 * admin API's JSON, and its model carries the signed-in user for the page frame.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Controller
public @interface DashboardController {
  @AliasFor(annotation = Controller.class)
  String value() default "";
}
