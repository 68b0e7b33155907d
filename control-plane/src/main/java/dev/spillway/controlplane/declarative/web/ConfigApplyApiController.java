package dev.spillway.controlplane.declarative.web;

import dev.spillway.controlplane.declarative.DeclarativeApplier;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/config/apply}: applies a {@code spillway.yaml} sent as the body (YAML or JSON), as
 * {@code ./spillway apply FILE} does. {@code dry_run=true} answers what would change and changes nothing.
 */
@RestController
class ConfigApplyApiController {
  private final DeclarativeApplier applier;

  ConfigApplyApiController(DeclarativeApplier applier) {
    this.applier = applier;
  }

  @PostMapping(path = "/api/v1/config/apply", consumes = {"application/yaml", "application/x-yaml", "text/yaml",
      "text/x-yaml", "text/plain", "application/json"})
  DeclarativeApplier.Result apply(@RequestBody String yaml,
      @RequestParam(name = "dry_run", defaultValue = "false") boolean dryRun) {
    return applier.apply(yaml, dryRun);
  }
}
