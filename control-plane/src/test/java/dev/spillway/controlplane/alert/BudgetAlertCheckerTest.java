package dev.spillway.controlplane.alert;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class BudgetAlertCheckerTest {

  private static Iterable<Integer> reached(String limit, String spent) {
    return BudgetAlertChecker.reached(new BigDecimal(limit), new BigDecimal(spent));
  }

  @Test
  void reachesEachThresholdAtItsExactShareOfTheLimit() {
    assertThat(reached("50", "24.999999999")).isEmpty();
    assertThat(reached("50", "25")).containsExactly(50);
    assertThat(reached("50", "39.99")).containsExactly(50);
    assertThat(reached("50", "40")).containsExactly(50, 80);
    assertThat(reached("50", "49.999999999")).containsExactly(50, 80);
    assertThat(reached("50", "50")).containsExactly(50, 80, 100);
    assertThat(reached("50", "75.5")).containsExactly(50, 80, 100);
  }

  @Test
  void aBudgetOfNothingFiresOnceSomethingIsSpentAgainstItNotBefore() {
    assertThat(reached("0", "0")).isEmpty();
    assertThat(reached("0", "0.000000001")).containsExactly(50, 80, 100);
    assertThat(reached("10", "0")).isEmpty();
  }
}
