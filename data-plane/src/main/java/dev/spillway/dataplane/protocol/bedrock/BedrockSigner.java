package dev.spillway.dataplane.protocol.bedrock;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * AWS Signature Version 4 for Bedrock requests, done by the AWS SDK for Java v2's standalone signer
 * ({@code http-auth-aws}), never by hand.
 *
 * <p>The signed request is exactly what the upstream client sends: same method, URI (path already percent-encoded),
 * headers and body bytes (the payload hash covers the bytes on the wire). The signer is stateless and shared; the
 * SDK caches the derived signing key per credentials, day, region and service, so a request costs one SHA-256 of
 * the body and two HMACs. Signing is CPU-only and runs on the event loop.
 */
final class BedrockSigner {
  static final String SERVICE = "bedrock";
  private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();

  private final Clock clock;

  BedrockSigner(Clock clock) {
    this.clock = clock;
  }

  /** Credentials for the signer; the session token is optional (temporary credentials from STS). */
  static AwsCredentialsIdentity credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
    return sessionToken == null || sessionToken.isEmpty()
        ? AwsCredentialsIdentity.create(accessKeyId, secretAccessKey)
        : AwsSessionCredentialsIdentity.create(accessKeyId, secretAccessKey, sessionToken);
  }

  /**
   * Signs a POST of {@code body} to {@code uri} with {@code headers} (every one of them is signed) and adds the
   * signer's headers ({@code Authorization}, {@code X-Amz-Date}, {@code X-Amz-Security-Token}, …) to
   * {@code headers}. {@code Host} is left to the upstream client, which sends the same value the signer used.
   */
  void sign(URI uri, HttpHeaders headers, byte[] body, String region, AwsCredentialsIdentity credentials) {
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(uri);
    headers.forEach(header -> request.appendHeader(header.getKey(), header.getValue()));
    SignedRequest signed = SIGNER.sign(r -> r
        .identity(credentials)
        .request(request.build())
        .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        .putProperty(HttpSigner.SIGNING_CLOCK, clock));
    for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
      String name = header.getKey();
      if (!name.equalsIgnoreCase("Host") && !headers.contains(name) && !header.getValue().isEmpty()) {
        headers.set(name, header.getValue().get(0));
      }
    }
  }
}
