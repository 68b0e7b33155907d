package dev.spillway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ProviderAddressPolicyTest {
  private static final ProviderAddressPolicy STRICT = new ProviderAddressPolicy(false);
  private static final ProviderAddressPolicy ALLOW_PRIVATE = new ProviderAddressPolicy(true);

  @ParameterizedTest
  @CsvSource({
      "0x7f000001, 127.0.0.1",
      "2130706433, 127.0.0.1",
      "017700000001, 127.0.0.1",
      "127.1, 127.0.0.1",
      "0x7f.1, 127.0.0.1",
      "127.0.1, 127.0.0.1",
      "0251.0376.0251.0376, 169.254.169.254",
      "0xa9fea9fe, 169.254.169.254",
      "2852039166, 169.254.169.254",
      "169.254.169.254., 169.254.169.254",
      "0, 0.0.0.0",
      "8.8.8.8, 8.8.8.8"})
  void readsEveryNumericFormThatCurlAndTheCLibraryAccept(String host, String expected) {
    assertThat(ProviderAddressPolicy.literal(host)).map(InetAddress::getHostAddress).contains(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"api.openai.com", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "deadbeef.example",
      "4294967296", "a.0x7f000001"})
  void aNameOrAnImpossibleNumberIsNotALiteral(String host) {
    assertThat(ProviderAddressPolicy.literal(host)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"169.254.169.254", "0xa9fea9fe", "[fd00:ec2::254]", "[fe80::1]", "[::ffff:169.254.169.254]",
      "metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata", "instance-data", "100.100.100.200",
      "224.0.0.1", "255.255.255.255", "[ff02::1]", "[64:ff9b::a9fe:a9fe]"})
  void refusesLinkLocalAndMetadataAddressesEvenWhenPrivateOnesAreAllowed(String host) {
    assertThat(ALLOW_PRIVATE.refusalOfHost(host)).hasValueSatisfying(reason -> assertThat(reason)
        .contains("never allowed"));
    assertThat(STRICT.refusalOfHost(host)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "0x7f000001", "2130706433", "017700000001", "127.1", "10.1.2.3",
      "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "0.0.0.0", "[::1]", "[::]", "[fc00::1]",
      "[fd12:3456::1]", "[::ffff:127.0.0.1]", "[::127.0.0.1]", "[2002:7f00:1::]", "localhost", "api.localhost"})
  void refusesLoopbackAndPrivateAddressesUnlessAllowed(String host) {
    assertThat(STRICT.refusalOfHost(host)).hasValueSatisfying(reason -> assertThat(reason)
        .contains(ProviderAddressPolicy.ALLOW_PRIVATE_ENV));
    assertThat(ALLOW_PRIVATE.refusalOfHost(host)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.1.1", "[2606:4700::1]",
      "api.openai.com"})
  void allowsPublicAddressesAndLeavesNamesToTheirResolution(String host) {
    assertThat(STRICT.refusalOfHost(host)).isEmpty();
  }

  @Test
  void readsTheFlagFromTheEnvironmentStrictly() {
    assertThat(ProviderAddressPolicy.fromEnv(Map.of()).allowPrivate()).isFalse();
    assertThat(ProviderAddressPolicy.fromEnv(Map.of(ProviderAddressPolicy.ALLOW_PRIVATE_ENV, "")).allowPrivate())
        .isFalse();
    assertThat(ProviderAddressPolicy.fromEnv(Map.of(ProviderAddressPolicy.ALLOW_PRIVATE_ENV, "TRUE")).allowPrivate())
        .isTrue();
    assertThatThrownBy(() -> ProviderAddressPolicy.fromEnv(Map.of(ProviderAddressPolicy.ALLOW_PRIVATE_ENV, "yes")))
        .hasMessageContaining(ProviderAddressPolicy.ALLOW_PRIVATE_ENV);
  }
}
