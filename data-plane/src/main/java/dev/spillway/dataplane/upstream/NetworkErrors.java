package dev.spillway.dataplane.upstream;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Network failures in words a client of the gateway can act on: "connection refused by api.example.com:443", "host
 * not found: api.example.com", never {@code finishConnect(..) failed with error(-111)} or a class name. The messages
 * go into {@link UpstreamFailure}, which clients read; the exceptions themselves are for logs only.
 *
 * <p>Netty's native transport and the JDK say the same things differently (epoll: {@code finishConnect(..) failed
 * with error(-111): Connection refused}, NIO: {@code Connection refused}), so both the exception type and the
 * errno text are read.
 */
final class NetworkErrors {
  private NetworkErrors() {}

  /** Why a connection to {@code host:port} could not be made. */
  static String connectFailure(Throwable cause, String host, int port) {
    String address = host + ":" + port;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof DnsNameResolverTimeoutException) {
        return "DNS lookup for " + host + " timed out";
      }
      if (t instanceof UnknownHostException) {
        return hasCause(t, DnsNameResolverTimeoutException.class) ? "DNS lookup for " + host + " timed out"
            : "host not found: " + host;
      }
      if (t instanceof ConnectTimeoutException || t instanceof SocketTimeoutException) {
        return "cannot connect to " + address + ": connection timed out";
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to " + address;
      }
    }
    String text = messages(cause);
    if (text.contains("refused")) {
      return "connection refused by " + address;
    }
    if (text.contains("timed out")) {
      return "cannot connect to " + address + ": connection timed out";
    }
    if (text.contains("no route to host") || text.contains("network is unreachable")
        || text.contains("host is unreachable")) {
      return "no route to " + address;
    }
    if (text.contains("reset")) {
      return "connection reset by " + address + " while connecting";
    }
    if (cause instanceof ConnectException) {
      return "cannot connect to " + address;
    }
    return "cannot connect to " + address + ": " + connectionFailure(cause);
  }

  /** What went wrong on a connection that was established: reset, closed, TLS, an unreadable response. */
  static String connectionFailure(Throwable cause) {
    if (cause == null) {
      return "the provider closed the connection";
    }
    Throwable t = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (t instanceof TooLongHttpHeaderException) {
      return "the provider's response headers are larger than the gateway accepts";
    }
    if (t instanceof TooLongHttpLineException) {
      return "the provider's status line is longer than the gateway accepts";
    }
    if (t instanceof TooLongFrameException) {
      return "the provider's response has a part larger than the gateway accepts";
    }
    if (t instanceof PrematureChannelClosureException || t instanceof ClosedChannelException) {
      return "the provider closed the connection";
    }
    if (t instanceof SSLException) {
      return "TLS error: " + UpstreamTls.describeHandshakeFailure(t);
    }
    if (t instanceof Http2Exception) {
      return "HTTP/2 protocol error";
    }
    if (t instanceof DecoderException) {
      return "the provider's response is not valid HTTP";
    }
    String text = messages(t);
    if (text.contains("reset")) {
      return "the provider reset the connection";
    }
    if (text.contains("broken pipe")) {
      return "the connection to the provider broke";
    }
    if (text.contains("timed out")) {
      return "the connection to the provider timed out";
    }
    return "the connection to the provider failed";
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /** The messages of the whole cause chain, lower case, for matching the errno text of either transport. */
  private static String messages(Throwable cause) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = cause; t != null && text.length() < 2048; t = t.getCause()) {
      if (t.getMessage() != null) {
        text.append(t.getMessage().toLowerCase(Locale.ROOT)).append('\n');
      }
    }
    return text.toString();
  }
}
