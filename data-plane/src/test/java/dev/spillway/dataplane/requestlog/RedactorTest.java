package dev.spillway.dataplane.requestlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class RedactorTest {
  final Redactor redactor = Redactor.BUILT_IN_ONLY;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "key sk-proj-Abc123Def456Ghi789 here|key [REDACTED:api_key] here",
      "sk-ant-api03-AAAABBBBCCCCDDDD-x|[REDACTED:api_key]",
      "virtual sk-sw-0123456789abcdef0123|virtual [REDACTED:api_key]",
      "aws AKIAIOSFODNN7EXAMPLE.|aws [REDACTED:api_key].",
      "Authorization: Bearer abc.def-ghi_123456|Authorization: [REDACTED:bearer_token]",
      "write to ada.lovelace+work@mail.example.co.uk now|write to [REDACTED:email] now",
      "card 4111-1111-1111-1111 ok|card [REDACTED:card_number] ok",
      "amex 378282246310005|amex [REDACTED:card_number]",
      "call +44 20 7946 0958 today|call [REDACTED:phone] today",
      "call (555) 123-4567 or 555.123.4567|call [REDACTED:phone] or [REDACTED:phone]",
  })
  void redactsEachKind(String text, String expected) {
    assertThat(redactor.redact(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // Fails the Luhn check: an invoice number, not a card.
      "invoice 1234 5678 9012 3456",
      "timestamp 1733587200123 and version 1.2.3",
      "ticket 4111111111111112",
      "price 12.50 for 3 items",
      "the sk- prefix alone",
  })
  void leavesWhatIsNoSecret(String text) {
    assertThat(redactor.redact(text)).isSameAs(text);
  }

  @Test
  void adminPatternsAddToTheBuiltInOnes() {
    Redactor custom = Redactor.with(List.of("EMP-\\d{5}", "(?i)project falcon"));

    assertThat(custom.redact("EMP-12345 on Project Falcon, mail a@b.io"))
        .isEqualTo("[REDACTED:custom] on [REDACTED:custom], mail [REDACTED:email]");
  }

  @Test
  void aCatastrophicallySlowAdminPatternIsGivenUpNotWaitedFor() {
    // Nested quantifiers over "a…ab": about 2 s at 60 characters on this machine, and it doubles with each one more.
    Redactor slow = Redactor.with(List.of("(.*a){25}"));
    String text = "a".repeat(90) + "b";

    long start = System.nanoTime();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> slow.redact(text)).isInstanceOf(Redactor.TooSlow.class);
    // Without the deadline the time grows exponentially with the length; the bound is generous for a loaded machine.
    assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
  }

  @Test
  void aLongBodyIsCutAtAWordEdgeSoNoHalfSecretIsKept() {
    String text = "x ".repeat(10) + "4111111111111111 tail";
    int cut = Redactor.wordEdge(text, 26);

    assertThat(text.substring(0, cut)).isEqualTo("x ".repeat(10));
  }

  @Test
  void jsonStaysJson() {
    String json = "{\"messages\":[{\"role\":\"user\",\"content\":\"mail a.b@c.de, card 4242424242424242, "
        + "key sk-abcdefghijklmnopqrstuvwx\"}]}";

    String redacted = redactor.redact(json);

    assertThat(JsonMapper.builder().build().readTree(redacted).path("messages").get(0).path("content").asString())
        .isEqualTo("mail [REDACTED:email], card [REDACTED:card_number], key [REDACTED:api_key]");
  }

  @Test
  void luhnIsTheCardCheck() {
    assertThat(Redactor.luhn("4111 1111 1111 1111")).isTrue();
    assertThat(Redactor.luhn("4111 1111 1111 1112")).isFalse();
    assertThat(Redactor.luhn("0000")).isFalse();
  }
}
