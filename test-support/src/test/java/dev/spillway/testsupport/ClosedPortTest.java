package dev.spillway.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClosedPortTest {
  @Test
  void refusesConnectionsAtOnce() {
    try (ClosedPort closed = ClosedPort.reserve()) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create(closed.baseUrl() + "/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build();

      long start = System.nanoTime();
      assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(ConnectException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }
  }

  @Test
  void keepsThePortFromListenersUntilClosed() throws Exception {
    ClosedPort closed = ClosedPort.reserve();
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.port());
    try (ServerSocket listener = new ServerSocket()) {
      assertThatThrownBy(() -> listener.bind(address)).hasMessageContaining("Address already in use");
    }
    closed.close();
    try (ServerSocket listener = new ServerSocket()) {
      listener.bind(address);
      try (Socket client = new Socket(address.getAddress(), address.getPort())) {
        assertThat(client.isConnected()).isTrue();
      }
    }
  }
}
