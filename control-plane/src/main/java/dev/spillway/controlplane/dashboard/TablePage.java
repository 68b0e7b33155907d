package dev.spillway.controlplane.dashboard;

import java.util.List;

/** One page of a table, with what the pager needs. */
public record TablePage<T>(List<T> rows, TableQuery query, int total) {

  static <T> TablePage<T> of(List<T> all, TableQuery query) {
    int pages = Math.max(1, (all.size() + query.size() - 1) / query.size());
    int page = Math.min(query.page(), pages);
    int from = (page - 1) * query.size();
    TableQuery clamped = new TableQuery(query.q(), query.sort(), query.dir(), page, query.size());
    return new TablePage<>(all.subList(from, Math.min(all.size(), from + query.size())), clamped, all.size());
  }

  /** A page fetched elsewhere (from the database) with its total. */
  public static <T> TablePage<T> fetched(List<T> rows, TableQuery query, int total) {
    return new TablePage<>(rows, query, total);
  }

  public int page() {
    return query.page();
  }

  public int pages() {
    return Math.max(1, (total + query.size() - 1) / query.size());
  }

  public boolean hasPrevious() {
    return page() > 1;
  }

  public boolean hasNext() {
    return page() < pages();
  }

  public int first() {
    return total == 0 ? 0 : (page() - 1) * query.size() + 1;
  }

  public int last() {
    return Math.min(total, page() * query.size());
  }
}
