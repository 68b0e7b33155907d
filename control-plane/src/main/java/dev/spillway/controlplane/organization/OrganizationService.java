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
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The organisation at the top of the hierarchy: its name and its own budget and rate limit. */
@Service
public class OrganizationService {
  public record Org(UUID id, String name, BudgetConfig budget, RateLimitConfig rateLimit, Instant updatedAt) {}

  public record OrgRequest(String name, BudgetBody budget, RateLimitBody rateLimit) {}

  private final OrganizationRepository organizations;
  private final LimitsRepository limits;
  private final ConfigVersions versions;
  private final AuditLog audit;

  public OrganizationService(OrganizationRepository organizations, LimitsRepository limits, ConfigVersions versions,
      AuditLog audit) {
    this.organizations = organizations;
    this.limits = limits;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public Org get() {
    OrganizationRepository.StoredOrganization row = organizations.get(Organization.DEFAULT_ID);
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
    organizations.rename(before.id(), name);
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
