package dev.spillway.controlplane.usage.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsageCsvTest {

  @Test
  void plainValuesStayAsTheyAre() {
    assertThat(UsageController.csvCell("gpt-4o-mini")).isEqualTo("gpt-4o-mini");
    assertThat(UsageController.csvCell(null)).isEmpty();
  }

  @Test
  void quotesCommasQuotesAndLineBreaks() {
    assertThat(UsageController.csvCell("a,b")).isEqualTo("\"a,b\"");
    assertThat(UsageController.csvCell("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(UsageController.csvCell("two\nlines")).isEqualTo("\"two\nlines\"");
  }

  @Test
  void defusesSpreadsheetFormulasInNames() {
    assertThat(UsageController.csvCell("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
    assertThat(UsageController.csvCell("+1")).isEqualTo("\"'+1\"");
    assertThat(UsageController.csvCell("@key")).isEqualTo("\"'@key\"");
  }
}
