package dev.spillway.controlplane.organization.web;

import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.common.RateLimitBody;
import dev.spillway.controlplane.organization.OrganizationService;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/v1/org}: the organisation's own budget and rate limit, the top of the hierarchy (the most
 * restrictive of org, team and key wins on the nodes). PATCH merges; PUT replaces (absent limits are removed).
 */
@RestController
@RequestMapping("/api/v1/org")
class OrganizationApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "updated_at");

  private final OrganizationService orgs;
  private final Patches patches;

  OrganizationApiController(OrganizationService orgs, Patches patches) {
    this.orgs = orgs;
    this.patches = patches;
  }

  record OrgRequest(String name, BudgetBody budget, RateLimitBody rateLimit) {}

  record OrgResponse(UUID id, String name, BudgetBody budget, RateLimitBody rateLimit, Instant updatedAt) {
    static OrgResponse of(OrganizationService.Org org) {
      return new OrgResponse(org.id(), org.name(), BudgetBody.of(org.budget()), RateLimitBody.of(org.rateLimit()),
          org.updatedAt());
    }
  }

  @GetMapping
  OrgResponse get() {
    return OrgResponse.of(orgs.get());
  }

  @PatchMapping
  OrgResponse patch(@RequestBody JsonNode patch) {
    OrgResponse current = OrgResponse.of(orgs.get());
    OrgRequest merged = patches.merge(new OrgRequest(current.name(), current.budget(), current.rateLimit()), patch,
        OrgRequest.class, READ_ONLY);
    return OrgResponse.of(orgs.update(new OrganizationService.OrgRequest(merged.name(), merged.budget(),
        merged.rateLimit())));
  }

  @PutMapping
  OrgResponse put(@RequestBody OrgRequest request) {
    String name = request.name() == null ? orgs.get().name() : request.name();
    return OrgResponse.of(orgs.update(new OrganizationService.OrgRequest(name, request.budget(),
        request.rateLimit())));
  }
}
