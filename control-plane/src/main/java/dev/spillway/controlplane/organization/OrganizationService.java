package dev.spillway.controlplane.organization;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.common.RateLimitBody;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The organisation at the top of the hierarchy: its name and its own budget and rate limit. */
@Service
public class OrganizationService {
  public record Org(UUID id, String name, BudgetConfig budget, RateLimitConfig rateLimit, Instant updatedAt) {}

  public record OrgRequest(String name, BudgetBody budget, RateLimitBody rateLimit) {}

  private final JdbcClient jdbc;
  private final LimitsRepository limits;
  private final ConfigVersions versions;
  private final AuditLog audit;

  public OrganizationService(JdbcClient jdbc, LimitsRepository limits, ConfigVersions versions, AuditLog audit) {
    this.jdbc = jdbc;
    this.limits = limits;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public Org get() {
    record Row(String name, Instant updatedAt) {}
    Row row = jdbc.sql("SELECT name, updated_at FROM organizations WHERE id = ?").param(Organization.DEFAULT_ID)
        .query((rs, i) -> new Row(rs.getString(1), rs.getTimestamp(2).toInstant())).single();
    return new Org(Organization.DEFAULT_ID, row.name(), limits.findBudget(Scope.ORG, Organization.DEFAULT_ID)
        .orElse(null), limits.findRateLimit(Scope.ORG, Organization.DEFAULT_ID).orElse(null), row.updatedAt());
  }

  @Transactional
  public Org update(OrgRequest request) {
    Org before = get();
    String name = Fields.requireName("name", request.name(), 100);
    BudgetConfig budget = Fields.budget("budget", request.budget());
    RateLimitConfig rateLimit = Fields.rateLimit("rate_limit", request.rateLimit());
    Org after = new Org(before.id(), name, budget, rateLimit, Instant.now());
    if (auditView(before).equals(auditView(after))) {
      return before;
    }
    jdbc.sql("UPDATE organizations SET name = ?, updated_at = now() WHERE id = ?").params(name, before.id()).update();
    limits.putBudget(Scope.ORG, before.id(), budget);
    limits.putRateLimit(Scope.ORG, before.id(), rateLimit);
    long version = versions.bump();
    audit.record("org.update", "org", before.id(), auditView(before), auditView(after), version);
    return get();
  }

  public static Map<String, Object> auditView(Org org) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", org.name());
    view.put("budget", BudgetBody.of(org.budget()));
    view.put("rate_limit", RateLimitBody.of(org.rateLimit()));
    return view;
  }
}
