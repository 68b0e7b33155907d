package dev.spillway.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses a provider's {@code base_url} may point at, shared by the control plane (when a URL is saved and
 * when "Test connection" connects) and the nodes (whenever they open an upstream connection).
 *
 * <p>A gateway that connects wherever an admin's URL says is a server-side request forgery tool: {@code
 * http://169.254.169.254/} hands out the cloud instance's credentials, loopback and private addresses reach services
 * that trust their network. So link-local and cloud-metadata addresses (and names) are refused always, and
 * loopback, private, shared (CGNAT) and unique-local ranges are refused unless the operator allows them with
 * {@value #ALLOW_PRIVATE_ENV}{@code =true} (a self-hosted model on the local network, the local stack's fake
 * providers).
 *
 * <p>The check is on addresses, not on URL text: {@link #literal} reads every numeric form that the C library and
 * curl accept ({@code 0x7f000001}, {@code 2130706433}, {@code 017700000001}, {@code 127.1}), IPv6 literals and IPv4
 * addresses embedded in IPv6 ones, and callers check each address a name resolves to, at save time and again at
 * connect time (a name may resolve elsewhere by then: DNS rebinding).
 *
 * @param allowPrivate whether loopback, private and unique-local addresses are allowed
 */
public record ProviderAddressPolicy(boolean allowPrivate) {
  /** The environment variable (and, on the control plane, {@code spillway.allow-private-provider-urls}). */
  public static final String ALLOW_PRIVATE_ENV = "SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS";

  /** Names that resolve to a cloud's metadata service inside that cloud. */
  private static final Set<String> METADATA_HOSTS = Set.of("metadata", "metadata.google.internal", "metadata.goog",
      "instance-data", "instance-data.ec2.internal", "metadata.ec2.internal", "metadata.azure.internal",
      "metadata.tencentyun.com", "metadata.oraclecloud.com");
  /** Metadata services outside the link-local range: Alibaba Cloud (in 100.64/10) and Oracle Cloud's legacy one. */
  private static final Set<String> METADATA_ADDRESSES = Set.of("100.100.100.200", "192.0.0.192");

  /** What kind of destination an address is. */
  public enum Kind {
    PUBLIC,
    /** Loopback, private, shared (CGNAT), unique-local or unspecified: allowed only with {@value #ALLOW_PRIVATE_ENV}. */
    PRIVATE,
    /** Link-local, cloud metadata, multicast, broadcast or reserved: never a provider. */
    FORBIDDEN
  }

  /** Reads {@value #ALLOW_PRIVATE_ENV} ({@code true}/{@code false}, unset or blank: false). */
  public static ProviderAddressPolicy fromEnv(Map<String, String> env) {
    String value = env.get(ALLOW_PRIVATE_ENV);
    return new ProviderAddressPolicy(parseFlag(value));
  }

  /** {@code true}/{@code false} in any case; blank is false; anything else is refused so a typo is not silent. */
  public static boolean parseFlag(String value) {
    if (value == null || value.isBlank()) {
      return false;
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.equals("true")) {
      return true;
    }
    if (v.equals("false")) {
      return false;
    }
    throw new IllegalArgumentException(ALLOW_PRIVATE_ENV + ": '" + value + "' (expected: true or false)");
  }

  /**
   * Why this host (as written in a URL: a name, an IPv4 literal in any numeric form, or a bracketed IPv6 literal)
   * is refused without resolving it, or empty when only its resolved addresses can tell.
   */
  public Optional<String> refusalOfHost(String host) {
    if (host == null || host.isBlank()) {
      return Optional.of("has no host");
    }
    String name = normalizeName(host);
    if (METADATA_HOSTS.contains(name)) {
      return Optional.of("points at a cloud metadata service (" + name + "), which is never allowed");
    }
    if (name.equals("localhost") || name.endsWith(".localhost")) {
      return allowPrivate ? Optional.empty() : Optional.of(privateRefusal(name + " is loopback"));
    }
    return literal(host).flatMap(this::refusalOf);
  }

  /** Why a connection to this (resolved) address is refused, or empty when it is allowed. */
  public Optional<String> refusalOf(InetAddress address) {
    Kind kind = classify(address);
    String shown = address.getHostAddress();
    return switch (kind) {
      case PUBLIC -> Optional.empty();
      case FORBIDDEN -> Optional.of("resolves to " + shown + ", a link-local, cloud metadata or non-unicast address, "
          + "which is never allowed");
      case PRIVATE -> allowPrivate ? Optional.empty()
          : Optional.of(privateRefusal("resolves to " + shown + ", a loopback or private address"));
    };
  }

  private static String privateRefusal(String what) {
    return what + "; set " + ALLOW_PRIVATE_ENV + "=true on the control plane and the nodes to allow such providers";
  }

  /** The kind of destination {@code address} is. */
  public static Kind classify(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return classifyV4(b);
    }
    return classifyV6(b);
  }

  private static Kind classifyV4(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    String dotted = a0 + "." + a1 + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    if (METADATA_ADDRESSES.contains(dotted)) {
      return Kind.FORBIDDEN;
    }
    if (a0 == 169 && a1 == 254) {
      return Kind.FORBIDDEN; // link-local, where AWS, GCP, Azure and others serve instance metadata
    }
    if (a0 >= 224) {
      return Kind.FORBIDDEN; // multicast, reserved, broadcast
    }
    if (a0 == 0 || a0 == 127 || a0 == 10 || a0 == 172 && (a1 & 0xf0) == 16 || a0 == 192 && a1 == 168
        || a0 == 100 && (a1 & 0xc0) == 64) {
      return Kind.PRIVATE; // this network (0.0.0.0 reaches the host itself), loopback, RFC 1918, shared (RFC 6598)
    }
    return Kind.PUBLIC;
  }

  private static Kind classifyV6(byte[] b) {
    byte[] embedded = embeddedV4(b);
    if (embedded != null) {
      return classifyV4(embedded);
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    if (first == 0xfe && (second & 0xc0) == 0x80) {
      return Kind.FORBIDDEN; // fe80::/10 link-local
    }
    if (first == 0xff) {
      return Kind.FORBIDDEN; // multicast
    }
    if (isAwsMetadataV6(b)) {
      return Kind.FORBIDDEN; // fd00:ec2::254, EC2's metadata service over IPv6
    }
    if ((first & 0xfe) == 0xfc || first == 0xfe && (second & 0xc0) == 0xc0) {
      return Kind.PRIVATE; // fc00::/7 unique-local, fec0::/10 (deprecated) site-local
    }
    boolean zeroUpTo15 = true;
    for (int i = 0; i < 15; i++) {
      zeroUpTo15 &= b[i] == 0;
    }
    if (zeroUpTo15 && (b[15] == 0 || b[15] == 1)) {
      return Kind.PRIVATE; // :: (unspecified) and ::1 (loopback)
    }
    return Kind.PUBLIC;
  }

  private static boolean isAwsMetadataV6(byte[] b) {
    byte[] metadata = {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    return Arrays.equals(b, metadata);
  }

  /**
   * The IPv4 address inside an IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}), NAT64
   * ({@code 64:ff9b::a.b.c.d}) or 6to4 ({@code 2002:aabb:ccdd::}) address, which reach that IPv4 address; else null.
   */
  private static byte[] embeddedV4(byte[] b) {
    boolean zero10 = true;
    for (int i = 0; i < 10; i++) {
      zero10 &= b[i] == 0;
    }
    boolean mapped = zero10 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    boolean compatible = zero10 && b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0);
    boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
    for (int i = 4; nat64 && i < 12; i++) {
      nat64 = b[i] == 0;
    }
    if (mapped || compatible || nat64) {
      return new byte[] {b[12], b[13], b[14], b[15]};
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
      return new byte[] {b[2], b[3], b[4], b[5]};
    }
    return null;
  }

  /**
   * The address a host written as a literal denotes, without any DNS: a bracketed IPv6 literal, or an IPv4 address
   * in any form {@code inet_aton} accepts (1 to 4 parts, each decimal, octal with a leading 0, or hex with 0x; the
   * last part fills the remaining bytes), which is what curl, the C library's resolver and so Java's
   * {@code InetAddress} on Linux turn into an address. Empty for a name.
   */
  public static Optional<InetAddress> literal(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.empty();
    }
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') >= 0) {
      return parseV6(h);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    byte[] v4 = parseInetAton(h);
    if (v4 == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByAddress(v4));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  private static Optional<InetAddress> parseV6(String text) {
    int zone = text.indexOf('%');
    String bare = zone >= 0 ? text.substring(0, zone) : text;
    if (!bare.matches("[0-9A-Fa-f:.]+")) {
      return Optional.empty();
    }
    try {
      // A literal of hex digits, colons and dots: InetAddress parses it without any DNS lookup.
      return Optional.of(InetAddress.getByName(bare));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  private static byte[] parseInetAton(String text) {
    if (text.isEmpty() || !text.matches("[0-9A-Fa-fXx.]+")) {
      return null;
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length > 4) {
      return null;
    }
    long[] values = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      Long v = parsePart(parts[i]);
      if (v == null) {
        return null;
      }
      values[i] = v;
    }
    long address = 0;
    for (int i = 0; i < parts.length - 1; i++) {
      if (values[i] > 255) {
        return null;
      }
      address |= values[i] << (24 - 8 * i);
    }
    long last = values[parts.length - 1];
    int lastBits = 8 * (5 - parts.length);
    if (last >= 1L << lastBits) {
      return null;
    }
    address |= last;
    return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
  }

  /** One inet_aton part: 0x hex, 0-prefixed octal, or decimal; null if it is none of them (then it is a name). */
  private static Long parsePart(String part) {
    if (part.isEmpty()) {
      return null;
    }
    int radix = 10;
    String digits = part;
    if (part.length() >= 2 && part.charAt(0) == '0' && (part.charAt(1) == 'x' || part.charAt(1) == 'X')) {
      radix = 16;
      digits = part.substring(2);
      if (digits.isEmpty()) {
        return 0L;
      }
    } else if (part.length() > 1 && part.charAt(0) == '0') {
      radix = 8;
      digits = part.substring(1);
    }
    if (digits.length() > 12) {
      return null; // larger than any part can be, and would overflow
    }
    try {
      return Long.parseLong(digits, radix);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String normalizeName(String host) {
    String name = host.strip().toLowerCase(Locale.ROOT);
    while (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    return name;
  }
}
