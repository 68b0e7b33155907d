package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.semantic.VerificationGate.Rule;
import dev.spillway.semantic.VerificationGate.Verdict;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VerificationGateTest {
  private final VerificationGate gate = VerificationGate.standard();

  private Verdict check(VerificationGate g, String query, String candidate) {
    return g.check(PromptNormalizer.normalize(query), PromptNormalizer.normalize(candidate));
  }

  @Test
  void passesParaphrases() {
    assertThat(check(gate, "I forgot my password, help", "How do I reset my password?")).isEqualTo(Verdict.PASS);
    assertThat(check(gate, "What's the process to reset my pw?", "How do I reset my password?"))
        .isEqualTo(Verdict.PASS);
    assertThat(check(gate, "How can I increase a website's traffic?", "How can I increase website traffic"))
        .isEqualTo(Verdict.PASS);
  }

  @Test
  void rejectsDifferentNumbersWrittenEitherWay() {
    assertThat(check(gate, "Top 5 films of 2019", "Top 5 films of 2020")).isEqualTo(Verdict.NUMBERS_DIFFER);
    assertThat(check(gate, "Name three rivers", "Name 4 rivers")).isEqualTo(Verdict.NUMBERS_DIFFER);
    assertThat(check(gate, "Name three rivers", "Name 3 rivers")).isEqualTo(Verdict.PASS);
    assertThat(check(gate, "Is 1,000 a lot?", "Is 1000 a lot")).isEqualTo(Verdict.PASS);
  }

  @Test
  void rejectsANegationOnOneSideOnly() {
    assertThat(check(gate, "How do I not reset my password?", "How do I reset my password?"))
        .isEqualTo(Verdict.NEGATION_DIFFERS);
    assertThat(check(gate, "Why doesn't my phone charge?", "Why does my phone charge?"))
        .isEqualTo(Verdict.NEGATION_DIFFERS);
    assertThat(check(gate, "Coffee without sugar", "Coffee with sugar")).isEqualTo(Verdict.NEGATION_DIFFERS);
    assertThat(check(gate, "Why don't cats swim?", "Why do cats never swim?")).isEqualTo(Verdict.PASS);
  }

  @Test
  void rejectsSwappedRoles() {
    assertThat(check(gate, "Flights from New York to Florida", "Flights from Florida to New York"))
        .isEqualTo(Verdict.ORDER_DIFFERS);
    VerificationGate roles = VerificationGate.of(EnumSet.of(Rule.ROLES));
    assertThat(check(roles, "Flights from New York to Florida", "Flights from Florida to New York"))
        .isEqualTo(Verdict.ROLES_DIFFER);
  }

  @Test
  void rolesLetsAHarmlessReorderingThroughWhereOrderDoesNot() {
    String a = "What are the best books about psychological disorders?";
    String b = "What are the best psychological disorders books?";
    assertThat(check(gate, a, b)).isEqualTo(Verdict.ORDER_DIFFERS);
    assertThat(check(VerificationGate.of(EnumSet.of(Rule.ROLES)), a, b)).isEqualTo(Verdict.PASS);
  }

  @Test
  void appliesOnlyItsRules() {
    VerificationGate none = VerificationGate.of(Set.of());
    assertThat(check(none, "How do I not reset my password?", "How do I reset my password?"))
        .isEqualTo(Verdict.PASS);
    assertThat(VerificationGate.standard().rules()).containsExactlyInAnyOrder(Rule.NUMBERS, Rule.NEGATION, Rule.ORDER);
    assertThat(none.rules()).isEmpty();
  }
}
