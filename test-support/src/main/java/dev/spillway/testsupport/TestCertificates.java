package dev.spillway.testsupport;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A throwaway certificate authority for HTTPS fakes, made once per test JVM with Netty's test certificate builder.
 * Its key never leaves memory; {@link #caFile()} is its certificate as a PEM file, which is what a node is given in
 * {@code SPILLWAY_UPSTREAM_CA_FILE} to trust the fakes.
 */
public final class TestCertificates {
  private static X509Bundle authority;
  private static Path caFile;

  private TestCertificates() {}

  /** The authority's certificate as a PEM file (deleted when the JVM exits). */
  public static synchronized Path caFile() {
    if (caFile == null) {
      try {
        Path file = Files.createTempFile("spillway-test-ca", ".pem");
        file.toFile().deleteOnExit();
        Files.writeString(file, authority().getCertificatePEM(), StandardCharsets.US_ASCII);
        caFile = file;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return caFile;
  }

  /**
   * A server certificate issued by the authority and valid for {@code names}: IP literals become IP address
   * entries of the subject alternative names, anything else DNS names.
   */
  public static X509Bundle serverCertificate(List<String> names) {
    Objects.requireNonNull(names, "names");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("names: [] (expected: at least one host name or IP address)");
    }
    CertificateBuilder builder = base()
        .subject("CN=" + names.get(0))
        .setKeyUsage(true, CertificateBuilder.KeyUsage.digitalSignature)
        .addExtendedKeyUsageServerAuth();
    for (String name : names) {
      if (isIpLiteral(name)) {
        builder.addSanIpAddress(name);
      } else {
        builder.addSanDnsName(name);
      }
    }
    try {
      return builder.buildIssuedBy(authority());
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue a test certificate for " + names, e);
    }
  }

  private static synchronized X509Bundle authority() {
    if (authority == null) {
      try {
        authority = base()
            .subject("CN=Spillway throwaway test CA")
            .setIsCertificateAuthority(true)
            .setKeyUsage(true, CertificateBuilder.KeyUsage.keyCertSign, CertificateBuilder.KeyUsage.cRLSign)
            .buildSelfSigned();
      } catch (Exception e) {
        throw new IllegalStateException("cannot create the throwaway test CA", e);
      }
    }
    return authority;
  }

  private static CertificateBuilder base() {
    Instant now = Instant.now();
    return new CertificateBuilder()
        .ecp256()
        .notBefore(now.minus(Duration.ofHours(1)))
        .notAfter(now.plus(Duration.ofDays(1)));
  }

  private static boolean isIpLiteral(String name) {
    if (name.indexOf(':') >= 0) {
      return true;
    }
    if (!name.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
      return false;
    }
    try {
      InetAddress.getByName(name);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
