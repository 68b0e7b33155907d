package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;

class PromptNormalizerTest {
  @Test
  void lowerCasesFoldsPunctuationAndCollapsesWhitespace() {
    assertThat(PromptNormalizer.normalize("  How do I   reset my PASSWORD?!\n")).isEqualTo("how do i reset my password");
  }

  @Test
  void appliesNfkcBeforeLowerCasing() {
    assertThat(PromptNormalizer.normalize("Ｒｅｓｅｔ ﬁle №5")).isEqualTo("reset file no5");
  }

  @Test
  void expandsChatAbbreviationsAsWholeWordsOnly() {
    assertThat(PromptNormalizer.normalize("What's the process to reset my pw?"))
        .isEqualTo("what s the process to reset my password");
    assertThat(PromptNormalizer.normalize("pls help u r great, thx")).isEqualTo("please help you r great thanks");
    assertThat(PromptNormalizer.normalize("my acct msg")).isEqualTo("my account message");
    assertThat(PromptNormalizer.normalize("pwned upward")).isEqualTo("pwned upward");
  }

  @Test
  void spellsOutNegatedContractionsSoTheNegationIsAWord() {
    assertThat(PromptNormalizer.normalize("I don't know")).isEqualTo("i do not know");
    assertThat(PromptNormalizer.normalize("It won\u2019t start")).isEqualTo("it will not start");
    assertThat(PromptNormalizer.normalize("I can't and shan't")).isEqualTo("i can not and shall not");
    assertThat(PromptNormalizer.normalize("Isn't it")).isEqualTo("is not it");
  }

  @Test
  void keepsNumbersWhole() {
    assertThat(PromptNormalizer.normalize("Costs 1,000 or 3.5 dollars.")).isEqualTo("costs 1000 or 3.5 dollars");
    assertThat(PromptNormalizer.normalize("End. 5. Next")).isEqualTo("end 5 next");
  }

  @Test
  void dropsTheDotsOfAcronymsAndKeepsLanguageNames() {
    assertThat(PromptNormalizer.normalize("Jobs in the U.S.A. for C++ or C# devs"))
        .isEqualTo("jobs in the usa for c++ or c# devs");
  }

  @Test
  void returnsEmptyForPunctuationOnly() {
    assertThat(PromptNormalizer.normalize(" ?!... ")).isEmpty();
  }

  @Test
  void rejectsNull() {
    assertThatNullPointerException().isThrownBy(() -> PromptNormalizer.normalize(null)).withMessage("text");
  }
}
