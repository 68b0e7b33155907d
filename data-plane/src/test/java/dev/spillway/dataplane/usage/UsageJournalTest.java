package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageJournalTest {
  @TempDir
  Path stateDir;

  static byte[] line(int i) {
    return ("{\"request_id\":\"r" + i + "\"}\n").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void appendedEventsAreOnDiskAtOnceAndSealedIntoSegmentsInOrder() throws Exception {
    try (UsageJournal journal = new UsageJournal(stateDir, 1 << 20, 1000)) {
      journal.append(line(1));
      Path open = journal.directory().resolve(UsageJournal.OPEN);
      assertThat(Files.readString(open)).isEqualTo("{\"request_id\":\"r1\"}\n");
      assertThat(journal.seal()).isTrue();
      journal.append(line(2));
      assertThat(journal.seal()).isTrue();
      assertThat(journal.seal()).as("nothing open").isFalse();

      assertThat(journal.sealedSegments()).hasSize(2);
      assertThat(Files.readString(journal.sealedSegments().get(0))).contains("r1");
      assertThat(Files.readString(journal.sealedSegments().get(1))).contains("r2");
      assertThat(journal.spooledBytes()).isEqualTo(2L * line(1).length);

      journal.shipped(journal.sealedSegments().get(0));
      assertThat(journal.spooledBytes()).isEqualTo(line(2).length);
      journal.reject(journal.sealedSegments().get(0));
      assertThat(journal.sealedSegments()).isEmpty();
      assertThat(journal.spooledBytes()).isZero();
      assertThat(journal.directory().resolve("rejected")).isNotEmptyDirectory();
    }
  }

  @Test
  void aSegmentIsSealedWhenItHoldsItsMaximumOfLines() throws Exception {
    try (UsageJournal journal = new UsageJournal(stateDir, 1 << 20, 3)) {
      for (int i = 0; i < 7; i++) {
        journal.append(line(i));
      }
      assertThat(journal.sealedSegments()).hasSize(2);
    }
  }

  @Test
  void whatAKilledRunLeftOpenIsSealedForShippingByTheNextRun() throws Exception {
    Path spool = stateDir.resolve("usage-spool");
    Files.createDirectories(spool);
    Files.write(spool.resolve(UsageJournal.OPEN), line(9));

    try (UsageJournal journal = new UsageJournal(stateDir, 1 << 20, 1000)) {
      assertThat(journal.sealedSegments()).hasSize(1);
      assertThat(Files.readString(journal.sealedSegments().get(0))).contains("r9");
      assertThat(journal.spooledBytes()).isEqualTo(line(9).length);
    }
  }

  @Test
  void aFullSpoolDropsAndCountsInsteadOfGrowing() throws Exception {
    try (UsageJournal journal = new UsageJournal(stateDir, 3L * line(1).length, 1000)) {
      assertThat(journal.append(line(1))).isTrue();
      assertThat(journal.append(line(2))).isTrue();
      assertThat(journal.append(line(3))).isTrue();
      assertThat(journal.append(line(4))).isFalse();

      assertThat(journal.dropped()).isEqualTo(1);
      assertThat(journal.appended()).isEqualTo(3);
      assertThat(journal.spooledBytes()).isEqualTo(3L * line(1).length);
    }
  }

  @Test
  void twoNodesCannotShareOneSpool() {
    try (UsageJournal journal = new UsageJournal(stateDir, 1 << 20, 1000)) {
      assertThatThrownBy(() -> new UsageJournal(stateDir, 1 << 20, 1000))
          .hasMessageContaining("another node is using the usage spool");
    }
  }

  @Test
  void onlyWholeLinesAreShipped() {
    byte[] torn = "{\"a\":1}\n{\"b\":".getBytes(StandardCharsets.UTF_8);
    assertThat(new String(UsageShipper.completeLines(torn), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n");
    assertThat(UsageShipper.completeLines("{\"b\":".getBytes(StandardCharsets.UTF_8))).isEmpty();
  }
}
