package dev.spillway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class SealedSecretTest {
  private static final String NODE_TOKEN = "node-token-0123456789abcdef";

  @Test
  void opensWhatItSealedAndNeverShowsThePlaintext() {
    SealedSecret nodes = SealedSecret.forNodes(NODE_TOKEN);

    String sealed = nodes.seal("sk-provider-secret", "provider:p1:key:main");

    assertThat(sealed).startsWith("v1.").doesNotContain("sk-provider-secret");
    assertThat(nodes.open(sealed, "provider:p1:key:main")).isEqualTo("sk-provider-secret");
  }

  @Test
  void sealsDeterministicallyForNodesSoReplicasProduceTheSameSnapshot() {
    String a = SealedSecret.forNodes(NODE_TOKEN).seal("value", "ctx");
    String b = SealedSecret.forNodes(NODE_TOKEN).seal("value", "ctx");
    String otherContext = SealedSecret.forNodes(NODE_TOKEN).seal("value", "ctx2");

    assertThat(a).isEqualTo(b).isNotEqualTo(otherContext);
  }

  @Test
  void sealsWithAFreshNonceAtRest() {
    byte[] master = new byte[32];
    new SecureRandom().nextBytes(master);
    SealedSecret atRest = SealedSecret.atRest(master);

    String a = atRest.seal("value", "ctx");
    String b = atRest.seal("value", "ctx");

    assertThat(a).isNotEqualTo(b);
    assertThat(atRest.open(a, "ctx")).isEqualTo(atRest.open(b, "ctx")).isEqualTo("value");
  }

  @Test
  void refusesAnotherContextAnotherKeyOrATamperedValue() {
    SealedSecret nodes = SealedSecret.forNodes(NODE_TOKEN);
    String sealed = nodes.seal("value", "provider:p1:key:main");
    char last = sealed.charAt(sealed.length() - 1);
    String tampered = sealed.substring(0, sealed.length() - 1) + (last == 'A' ? 'B' : 'A');

    assertThatThrownBy(() -> nodes.open(sealed, "provider:p2:key:main")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SealedSecret.forNodes("another-node-token-xyz").open(sealed, "provider:p1:key:main"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> nodes.open(tampered, "provider:p1:key:main"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> nodes.open("v1.!!", "ctx")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesWeakKeys() {
    assertThatThrownBy(() -> SealedSecret.forNodes("short")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SealedSecret.atRest(new byte[16])).isInstanceOf(IllegalArgumentException.class);
  }
}
