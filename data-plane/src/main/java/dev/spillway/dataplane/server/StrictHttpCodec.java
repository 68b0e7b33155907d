package dev.spillway.dataplane.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * The HTTP/1.1 server codec with RFC 9112 message framing enforced: where a request's body ends must be beyond
 * doubt, because a proxy in front of the node that reads it differently would take the rest of the body for the
 * next request (request smuggling). Netty's decoder, in its strict modes, already refuses Content-Length together
 * with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, several or non-numeric Content-Length values in HTTP/1.1,
 * and lines not ended by CRLF. This codec refuses as well what Netty accepts:
 * <ul>
 *   <li>any Transfer-Encoding other than exactly one {@code chunked} ({@code xchunked}, {@code identity},
 *       {@code gzip, chunked}, {@code chunked} twice, an empty value) &mdash; Netty reads no body for a coding it
 *       does not know and then parses that body as the next request;
 *   <li>obsolete line folding (a header line starting with a space or tab), which Netty joins to the previous
 *       header while another parser sees a header of its own;
 *   <li>more than one Content-Length line, which Netty merges in HTTP/1.0 requests even when the values differ;
 *   <li>HTTP versions other than 1.x in the request line.
 * </ul>
 * A refused request leaves the decoder with a failed {@link DecoderResult} ({@link RefusedFraming} as the cause);
 * {@link FramingGuard} answers it and closes the connection.
 *
 * <p>Otherwise it behaves like Netty's {@code HttpServerCodec} (final, so not extended): a response to a HEAD
 * request is sent without its body. It also tells {@link HeadDeadline} when the first byte of a request head
 * arrives.
 */
final class StrictHttpCodec extends CombinedChannelDuplexHandler<HttpRequestDecoder, HttpResponseEncoder> {
  /** Longest request line (method, target, version). */
  static final int MAX_INITIAL_LINE = 8192;
  /** Largest piece of a body passed on at once. */
  static final int MAX_CHUNK = 64 * 1024;

  private static final int MAX_QUEUED = Long.SIZE;
  private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final Runnable onHeadStart;
  /** Requests without a final response yet, oldest in the lowest bit: 1 for HEAD. */
  private long headFlags;
  private int queued;

  /**
   * @param maxHeaderBytes the size limit of a request's header lines (431 beyond it)
   * @param onHeadStart    called on the event loop when the first byte of a request head has arrived
   */
  StrictHttpCodec(int maxHeaderBytes, Runnable onHeadStart) {
    this.onHeadStart = onHeadStart;
    HttpDecoderConfig config = new HttpDecoderConfig()
        .setMaxInitialLineLength(MAX_INITIAL_LINE)
        .setMaxHeaderSize(maxHeaderBytes)
        .setMaxChunkSize(MAX_CHUNK)
        // Netty's defaults today, set explicitly so that no system property can loosen them.
        .setValidateHeaders(true)
        .setAllowDuplicateContentLengths(false)
        .setStrictLineParsing(true)
        .setUseRfc9112TransferEncoding(true);
    init(new Decoder(config), new Encoder());
  }

  /** Why a request's framing was refused, in words for the client. */
  static final class RefusedFraming extends DecoderException {
    RefusedFraming(String message) {
      super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private void enqueue(HttpMethod method) {
    if (queued < MAX_QUEUED) {
      if (HttpMethod.HEAD.equals(method)) {
        headFlags |= 1L << queued;
      }
      queued++;
    }
  }

  private boolean pollHead() {
    if (queued == 0) {
      return false;
    }
    boolean head = (headFlags & 1) != 0;
    headFlags >>>= 1;
    queued--;
    return head;
  }

  /**
   * Netty's request decoder, watched: the lines of each head are scanned as the decoder consumes them (it consumes
   * whole lines, and returns after each head, so the bytes a call consumed while reading a head are head bytes),
   * and each decoded request is checked before it leaves.
   */
  private final class Decoder extends HttpRequestDecoder {
    /** Between requests or inside a head (not in a body). */
    private boolean readingHead = true;
    /** A byte other than CR or LF arrived for the current head. */
    private boolean headBegun;
    /** The request line of the current head has been consumed; the lines after it are header lines. */
    private boolean pastRequestLine;
    /** The next consumed byte starts a header line. */
    private boolean lineStart;
    private boolean folded;
    private int contentLengthLines;
    /** A refused request went out: what follows is not read as requests any more. */
    private boolean failed;

    Decoder(HttpDecoderConfig config) {
      super(config);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      boolean inHead = readingHead && !failed;
      if (inHead && !headBegun) {
        noticeHeadStart(in);
      }
      int from = in.readerIndex();
      int before = out.size();
      super.decode(ctx, in, out);
      if (!inHead) {
        trackEnds(out, before);
        return;
      }
      if (!headFailed(out, before)) {
        scan(in, from, in.readerIndex());
      }
      trackEnds(out, before);
    }

    private void noticeHeadStart(ByteBuf in) {
      int end = in.writerIndex();
      for (int i = in.readerIndex(); i < end; i++) {
        byte b = in.getByte(i);
        if (b != '\r' && b != '\n') {
          headBegun = true;
          onHeadStart.run();
          return;
        }
      }
    }

    /** True when the decoder itself refused the head it emitted (its bytes need no scan). */
    private boolean headFailed(List<Object> out, int before) {
      for (int i = before; i < out.size(); i++) {
        if (out.get(i) instanceof HttpRequest request && request.decoderResult().isFailure()) {
          return true;
        }
      }
      return false;
    }

    /** Looks at the first byte of every header line among the consumed head bytes {@code [from, to)}. */
    private void scan(ByteBuf in, int from, int to) {
      int i = from;
      while (i < to) {
        if (!pastRequestLine) {
          byte b = in.getByte(i);
          if (b == '\r' || b == '\n') {
            i++;
            continue;
          }
          int lf = in.indexOf(i, to, (byte) '\n');
          if (lf < 0) {
            return;
          }
          pastRequestLine = true;
          lineStart = true;
          i = lf + 1;
          continue;
        }
        if (lineStart) {
          lineStart = false;
          byte b = in.getByte(i);
          if (b == ' ' || b == '\t') {
            folded = true;
          } else if ((b | 0x20) == 'c' && startsWithIgnoreCase(in, i, to, CONTENT_LENGTH)) {
            contentLengthLines++;
          }
        }
        int lf = in.indexOf(i, to, (byte) '\n');
        if (lf < 0) {
          return;
        }
        lineStart = true;
        i = lf + 1;
      }
    }

    /** Checks each request the decoder emitted, and notes where heads and messages end. */
    private void trackEnds(List<Object> out, int before) {
      for (int i = before; i < out.size(); i++) {
        Object msg = out.get(i);
        if (msg instanceof HttpRequest request) {
          if (!failed) {
            check(request);
            enqueue(request.method());
            failed = request.decoderResult().isFailure();
          }
          readingHead = false;
          headBegun = false;
          pastRequestLine = false;
          lineStart = false;
          folded = false;
          contentLengthLines = 0;
        }
        if (msg instanceof LastHttpContent) {
          readingHead = true;
        }
      }
    }

    private void check(HttpRequest request) {
      if (request.decoderResult().isFailure()) {
        return;
      }
      String problem = framingProblem(request, folded, contentLengthLines);
      if (problem != null) {
        request.setDecoderResult(DecoderResult.failure(new RefusedFraming(problem)));
      }
    }
  }

  /** What is ambiguous about a request's framing that Netty let through, or null. */
  static String framingProblem(HttpRequest request, boolean folded, int contentLengthLines) {
    if (request.protocolVersion().majorVersion() != 1) {
      return "HTTP/" + request.protocolVersion().majorVersion() + "." + request.protocolVersion().minorVersion()
          + " is not supported here; send HTTP/1.1";
    }
    if (folded) {
      return "obsolete line folding (a header line that starts with a space or tab) is not accepted";
    }
    HttpHeaders headers = request.headers();
    if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      if (codings.size() != 1 || !codings.get(0).strip().equalsIgnoreCase("chunked")) {
        return "Transfer-Encoding '" + printable(String.join(", ", codings)) + "' is not supported; send the body"
            + " with Content-Length, or with Transfer-Encoding: chunked alone";
      }
      if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        return "Content-Length and Transfer-Encoding together are ambiguous; send one of them";
      }
    }
    if (contentLengthLines > 1) {
      return "more than one Content-Length header";
    }
    String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
    if (length != null && !isDecimal(length)) {
      return "Content-Length must be a number of bytes, not '" + printable(length) + "'";
    }
    return null;
  }

  /** 1 to 18 ASCII digits: no sign, no list, nothing that overflows a long. */
  private static boolean isDecimal(String value) {
    if (value.isEmpty() || value.length() > 18) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** A header value as it may appear in an error message: short, printable ASCII. */
  static String printable(String value) {
    StringBuilder out = new StringBuilder(Math.min(value.length(), 64));
    for (int i = 0; i < value.length() && out.length() < 64; i++) {
      char c = value.charAt(i);
      out.append(c >= ' ' && c < 0x7f ? c : '?');
    }
    return value.length() > 64 ? out + "…" : out.toString();
  }

  private static boolean startsWithIgnoreCase(ByteBuf in, int at, int end, byte[] lowerCasePrefix) {
    if (end - at < lowerCasePrefix.length) {
      return false;
    }
    for (int i = 0; i < lowerCasePrefix.length; i++) {
      if ((in.getByte(at + i) | 0x20) != lowerCasePrefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Netty's response encoder, with HEAD requests answered without a body as {@code HttpServerCodec} does. */
  private final class Encoder extends HttpResponseEncoder {
    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
      if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        // 100 Continue precedes the final response to the same request.
        return super.isContentAlwaysEmpty(msg);
      }
      return pollHead() || super.isContentAlwaysEmpty(msg);
    }
  }
}
