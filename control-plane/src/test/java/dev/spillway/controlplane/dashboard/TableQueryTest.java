package dev.spillway.controlplane.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TableQueryTest {
  private static final Map<String, Comparator<String>> SORTS = Map.of("name", Comparator.naturalOrder(),
      "length", Comparator.comparingInt(String::length));
  private static final List<String> ROWS = IntStream.rangeClosed(1, 45).mapToObj(i -> "row-" + i).toList();

  @Test
  void cutsPagesOfTwentyAndClampsThePageNumber() {
    TablePage<String> third = TableQuery.of(null, "name", "asc", 3).apply(ROWS, r -> true, SORTS, "name");
    TablePage<String> beyond = TableQuery.of(null, "name", "asc", 99).apply(ROWS, r -> true, SORTS, "name");

    assertThat(third.rows()).hasSize(5);
    assertThat(third.first()).isEqualTo(41);
    assertThat(third.last()).isEqualTo(45);
    assertThat(third.hasNext()).isFalse();
    assertThat(beyond.page()).isEqualTo(3);
  }

  @Test
  void anUnknownSortFallsBackToTheDefaultAscending() {
    TablePage<String> page = TableQuery.of(null, "password", "desc", 1).apply(List.of("b", "a"), r -> true, SORTS,
        "name");

    assertThat(page.rows()).containsExactly("a", "b");
    assertThat(page.query().sort()).isEqualTo("name");
    assertThat(page.query().dir()).isEqualTo("asc");
  }

  @Test
  void filtersCaseInsensitivelyAndSortsDescending() {
    TableQuery query = TableQuery.of("ROW-1", "name", "desc", 1);
    TablePage<String> page = query.apply(ROWS, r -> query.matches(r), SORTS, "name");

    assertThat(page.total()).isEqualTo(11);
    assertThat(page.rows().get(0)).isEqualTo("row-19");
    assertThat(query.flip("name")).isEqualTo("asc");
    assertThat(query.ariaSort("name")).isEqualTo("descending");
    assertThat(query.ariaSort("length")).isEqualTo("none");
  }
}
