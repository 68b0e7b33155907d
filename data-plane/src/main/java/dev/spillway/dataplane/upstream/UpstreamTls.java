package dev.spillway.dataplane.upstream;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS side of provider calls: the client context (JDK trust store, plus the certificates of an optional PEM
 * bundle for private CAs; hostname verification; ALPN offering {@code h2} and {@code http/1.1}) and readable
 * handshake errors. Public only for {@link #readCertificates}, which node settings use to check the CA file at
 * start-up.
 */
public final class UpstreamTls {
  private static final Pattern PEM_CERTIFICATE = Pattern.compile(
      "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END CERTIFICATE-----");

  private UpstreamTls() {}

  /**
   * The client context. Cipher suites stay the JDK's defaults (which put the AEAD suites HTTP/2 requires first),
   * so HTTP/1.1 servers with older suites still connect.
   *
   * @param extraTrust a PEM bundle whose certificates are trusted in addition to the JDK's, or null
   */
  static SslContext clientContext(Path extraTrust) {
    SslContextBuilder builder = SslContextBuilder.forClient()
        .endpointIdentificationAlgorithm("HTTPS")
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    if (extraTrust != null) {
      builder.trustManager(trustManagers(extraTrust));
    }
    try {
      return builder.build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot create the TLS client context: " + e.getMessage(), e);
    }
  }

  /** The JDK's trusted certificates and those of {@code pemBundle}, in one trust manager factory. */
  static TrustManagerFactory trustManagers(Path pemBundle) {
    List<X509Certificate> extra = readCertificates(pemBundle);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate certificate : jdkTrusted()) {
        store.setCertificateEntry("jdk-" + n++, certificate);
      }
      for (X509Certificate certificate : extra) {
        store.setCertificateEntry("extra-" + n++, certificate);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the upstream trust store: " + e.getMessage(), e);
    }
  }

  /** The certificates the JDK trusts by default (its cacerts, or {@code javax.net.ssl.trustStore} when set). */
  static List<X509Certificate> jdkTrusted() throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    List<X509Certificate> certificates = new ArrayList<>();
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        certificates.addAll(List.of(x509.getAcceptedIssuers()));
      }
    }
    return certificates;
  }

  /**
   * Every certificate of a PEM file; text around the blocks (comments, bundle headers) is ignored.
   *
   * @throws IllegalArgumentException when the file is missing, unreadable, empty, or holds no readable certificate;
   *                                  the message names the file and the reason
   */
  public static List<X509Certificate> readCertificates(Path pemBundle) {
    String text;
    try {
      // Latin-1 decodes any byte: a comment in another encoding must not make a valid bundle unreadable.
      text = Files.readString(pemBundle, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("CA file " + pemBundle + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException("CA file " + pemBundle + " is not readable (permission denied)", e);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read the CA file " + pemBundle + ": " + e, e);
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("CA file " + pemBundle
          + " is empty (expected: PEM blocks -----BEGIN CERTIFICATE-----)");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    Matcher block = PEM_CERTIFICATE.matcher(text);
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      while (block.find()) {
        byte[] der = Base64.getMimeDecoder().decode(block.group(1));
        certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (CertificateException | IllegalArgumentException e) {
      throw new IllegalArgumentException("CA file " + pemBundle + ": certificate " + (certificates.size() + 1)
          + " cannot be read: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("CA file " + pemBundle
          + " holds no certificate (expected: PEM blocks -----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  /** Why a handshake failed, in words an operator can act on. */
  static String describeHandshakeFailure(Throwable cause) {
    Throwable root = cause;
    boolean untrusted = false;
    boolean expired = false;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      untrusted |= t instanceof CertPathBuilderException || t instanceof CertPathValidatorException;
      expired |= t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException;
      root = t;
    }
    String detail = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    if (expired) {
      return "the provider's certificate is expired or not yet valid (" + detail + ")";
    }
    if (untrusted) {
      return "the provider's certificate is not trusted (" + detail + "); a private CA must be added with "
          + "SPILLWAY_UPSTREAM_CA_FILE";
    }
    if (root instanceof CertificateException && detail.startsWith("No ")) {
      // The JDK's hostname check: "No subject alternative names matching IP address … found", "No name matching …"
      return "the provider's certificate is not valid for this host (" + detail + ")";
    }
    return detail;
  }
}
