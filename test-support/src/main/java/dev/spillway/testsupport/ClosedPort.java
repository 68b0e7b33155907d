package dev.spillway.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses connections: a provider that is down. The port stays reserved while this is open (a
 * TCP socket is bound to it but never listens), so nothing else can start listening there during the test, and
 * every connection attempt is refused at once (the kernel answers the SYN with a reset).
 */
public final class ClosedPort implements AutoCloseable {
  private final Socket reservation;

  private ClosedPort(Socket reservation) {
    this.reservation = reservation;
  }

  /** Reserves a free loopback port that nothing will listen on until {@link #close()}. */
  public static ClosedPort reserve() {
    Socket socket = new Socket();
    try {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return new ClosedPort(socket);
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new UncheckedIOException("cannot reserve a loopback port", e);
    }
  }

  public int port() {
    return reservation.getLocalPort();
  }

  /** A base URL with the {@code /v1} suffix at this port, as OpenAI-compatible providers are configured. */
  public String baseUrl() {
    return origin() + "/v1";
  }

  /** Scheme, host and port without a path (the base URL of an Anthropic provider). */
  public String origin() {
    return "http://127.0.0.1:" + port();
  }

  /** Releases the port. */
  @Override
  public void close() {
    try {
      reservation.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release port " + port(), e);
    }
  }
}
