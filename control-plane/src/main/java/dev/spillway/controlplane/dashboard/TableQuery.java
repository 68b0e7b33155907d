package dev.spillway.controlplane.dashboard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Filter, sort and page of a dashboard table, from the query string ({@code q}, {@code sort}, {@code dir},
 * {@code page}). Sort keys outside the table's own list fall back to its default, so a URL cannot sort by
 * anything the page did not offer.
 */
public record TableQuery(String q, String sort, String dir, int page, int size) {
  public static final int DEFAULT_SIZE = 20;

  public TableQuery {
    q = q == null ? "" : q.strip();
    dir = "desc".equalsIgnoreCase(dir) ? "desc" : "asc";
    page = Math.max(1, page);
    size = size < 1 || size > 100 ? DEFAULT_SIZE : size;
  }

  public static TableQuery of(String q, String sort, String dir, Integer page) {
    return new TableQuery(q, sort, dir, page == null ? 1 : page, DEFAULT_SIZE);
  }

  public boolean descending() {
    return "desc".equals(dir);
  }

  /** The direction a click on this column's header asks for. */
  public String flip(String column) {
    return column.equals(sort) && !descending() ? "desc" : "asc";
  }

  /** {@code ascending}, {@code descending} or {@code none}, for aria-sort. */
  public String ariaSort(String column) {
    if (!column.equals(sort)) {
      return "none";
    }
    return descending() ? "descending" : "ascending";
  }

  public boolean matches(String... values) {
    if (q.isEmpty()) {
      return true;
    }
    String needle = q.toLowerCase(Locale.ROOT);
    for (String v : values) {
      if (v != null && v.toLowerCase(Locale.ROOT).contains(needle)) {
        return true;
      }
    }
    return false;
  }

  /** Filters, sorts and cuts one page out of an in-memory list (tables of modest size: teams, providers…). */
  public <T> TablePage<T> apply(List<T> all, Predicate<T> filter, Map<String, Comparator<T>> sorts,
      String defaultSort) {
    String key = sort != null && sorts.containsKey(sort) ? sort : defaultSort;
    Comparator<T> comparator = sorts.get(key);
    List<T> rows = new ArrayList<>(all.stream().filter(filter).toList());
    rows.sort(descending() && key.equals(sort) ? comparator.reversed() : comparator);
    TableQuery effective = new TableQuery(q, key, key.equals(sort) ? dir : "asc", page, size);
    return TablePage.of(rows, effective);
  }
}
