package dev.spillway.dataplane.upstream;

import dev.spillway.config.ProviderAddressPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spillway.testsupport.NoLeaksExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Network failures reach clients as plain words, whichever transport the node runs on. */
@ExtendWith(NoLeaksExtension.class)
class NetworkErrorsTest {
  /** What a transport says about itself; a client must never read it. */
  private static final String[] INTERNALS = {"finishConnect", "error(-", "io.netty", "Exception", "/127.0.0.1"};

  @Test
  void saysTheConnectionWasRefusedOverNio() {
    UpstreamFailure failure = callClosedPort(NioIoHandler.newFactory(), NioSocketChannel.class,
        NioDatagramChannel.class);

    assertThat(failure.kind()).isEqualTo(UpstreamFailure.Kind.CONNECT);
    assertThat(failure.message()).isEqualTo("connection refused by 127.0.0.1:1").doesNotContain(INTERNALS);
  }

  @Test
  void saysTheConnectionWasRefusedOverEpoll() {
    assumeTrue(Epoll.isAvailable(), "the native transport runs on Linux only");
    UpstreamFailure failure = callClosedPort(EpollIoHandler.newFactory(), EpollSocketChannel.class,
        EpollDatagramChannel.class);

    assertThat(failure.message()).isEqualTo("connection refused by 127.0.0.1:1").doesNotContain(INTERNALS);
  }

  @Test
  void saysWhenAHostDoesNotExistOrItsLookupTimedOut() {
    UnknownHostException notFound = new UnknownHostException("Failed to resolve 'api.example.com' [A(1), AAAA(28)]"
        + " after 2 queries");
    UnknownHostException timedOut = new UnknownHostException("Failed to resolve 'api.example.com' after 3 queries");
    timedOut.initCause(new DnsNameResolverTimeoutException(new InetSocketAddress("10.0.0.2", 53),
        new DefaultDnsQuestion("api.example.com", DnsRecordType.A),
        "query via UDP timed out after 5000 milliseconds (no stack trace available)"));

    assertThat(NetworkErrors.connectFailure(notFound, "api.example.com", 443))
        .isEqualTo("host not found: api.example.com");
    assertThat(NetworkErrors.connectFailure(timedOut, "api.example.com", 443))
        .isEqualTo("DNS lookup for api.example.com timed out");
  }

  @Test
  void namesTimeoutsAndUnreachableNetworksWithoutErrnoText() {
    assertThat(NetworkErrors.connectFailure(new ConnectTimeoutException("connection timed out after 5000 ms:"
        + " api.example.com/203.0.113.7:443"), "api.example.com", 443))
        .isEqualTo("cannot connect to api.example.com:443: connection timed out");
    assertThat(NetworkErrors.connectFailure(new ConnectException("finishConnect(..) failed with error(-113): No"
        + " route to host"), "api.example.com", 443)).isEqualTo("no route to api.example.com:443");
    assertThat(NetworkErrors.connectFailure(new NoRouteToHostException("No route to host"), "10.1.2.3", 8080))
        .isEqualTo("no route to 10.1.2.3:8080");
    assertThat(NetworkErrors.connectFailure(new ConnectException("connect(..) failed with error(-101): Network is"
        + " unreachable"), "api.example.com", 443)).isEqualTo("no route to api.example.com:443");
  }

  @Test
  void describesBrokenConnectionsInTheProvidersTerms() {
    assertThat(NetworkErrors.connectionFailure(new IOException("recvAddress(..) failed with error(-104):"
        + " Connection reset by peer"))).isEqualTo("the provider reset the connection");
    assertThat(NetworkErrors.connectionFailure(new IOException("writevAddresses(..) failed with error(-32):"
        + " Broken pipe"))).isEqualTo("the connection to the provider broke");
    assertThat(NetworkErrors.connectionFailure(new TooLongHttpHeaderException("HTTP header is larger than 16384"
        + " bytes."))).isEqualTo("the provider's response headers are larger than the gateway accepts");
    assertThat(NetworkErrors.connectionFailure(new DecoderException(new SSLHandshakeException("Received fatal"
        + " alert: handshake_failure")))).isEqualTo("TLS error: Received fatal alert: handshake_failure");
    assertThat(NetworkErrors.connectionFailure(null)).isEqualTo("the provider closed the connection");
    assertThat(NetworkErrors.connectionFailure(new IllegalStateException("io.netty.Something broke")))
        .isEqualTo("the connection to the provider failed");
  }

  /** A real exchange to a port nothing listens on, through the client the node uses. */
  private static UpstreamFailure callClosedPort(IoHandlerFactory io, Class<? extends SocketChannel> channelType,
      Class<? extends DatagramChannel> datagramType) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, io);
    UpstreamClient client = new UpstreamClient(channelType,
        new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(datagramType)), 4,
        new ProviderAddressPolicy(true));
    try {
      AtomicReference<UpstreamFailure> failure = new AtomicReference<>();
      ByteBuf body = Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8);
      client.call(group.next(), new UpstreamRequest(HttpMethod.POST, URI.create("http://127.0.0.1:1/v1/chat"),
          new DefaultHttpHeaders(), body, new UpstreamRequest.Timeouts(2000, 2000, 2000, 5000)),
          new UpstreamListener() {
            @Override
            public void onHead(HttpResponse head) {}

            @Override
            public void onContent(ByteBuf content) {
              content.release();
            }

            @Override
            public void onEnd() {}

            @Override
            public void onFailure(UpstreamFailure f) {
              failure.set(f);
            }
          });
      await().atMost(Duration.ofSeconds(10)).until(() -> failure.get() != null);
      return failure.get();
    } finally {
      client.close();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
