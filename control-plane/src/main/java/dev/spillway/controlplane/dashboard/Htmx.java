package dev.spillway.controlplane.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** htmx request and response headers. */
public final class Htmx {
  private Htmx() {}

  /**
   * An htmx request wants a fragment. A history restore (the user pressed Back and htmx's cache missed) wants the
   * whole page, as does a plain navigation.
   */
  public static boolean isHtmx(HttpServletRequest request) {
    return "true".equals(request.getHeader("HX-Request"))
        && !"true".equals(request.getHeader("HX-History-Restore-Request"));
  }

  /** The full view for a navigation, the fragment for an htmx request: one controller method serves both. */
  public static String view(HttpServletRequest request, String page, String fragment) {
    return isHtmx(request) ? page + " :: " + fragment : page;
  }

  /** Makes htmx navigate the whole page (not swap the answer into a fragment). */
  public static void redirect(HttpServletResponse response, String location) {
    response.setHeader("HX-Redirect", location);
  }

  /** Fires a client-side event, e.g. to show a toast. */
  public static void trigger(HttpServletResponse response, String event) {
    response.setHeader("HX-Trigger", event);
  }
}
