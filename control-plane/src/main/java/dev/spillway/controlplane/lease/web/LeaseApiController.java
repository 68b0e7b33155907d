package dev.spillway.controlplane.lease.web;

import dev.spillway.controlplane.common.ApiError;
import dev.spillway.controlplane.lease.LeaseAnswer;
import dev.spillway.controlplane.lease.LeaseCall;
import dev.spillway.controlplane.lease.LeaseService;
import dev.spillway.controlplane.lease.LeasesUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /internal/v1/leases} (node token): a node reports what it consumed from its leases and is granted
 * what it may consume next (docs/governance.md, "Leases").
 */
@RestController
class LeaseApiController {
  private static final Logger log = LoggerFactory.getLogger(LeaseApiController.class);

  private final LeaseService leases;

  LeaseApiController(LeaseService leases) {
    this.leases = leases;
  }

  @PostMapping("/internal/v1/leases")
  LeaseAnswer lease(@RequestBody LeaseCall call) {
    return leases.lease(call);
  }

  /**
   * No database (or no lock within the wait): 503, which tells the node to go on spending what it holds and ask
   * again, where a 500 would suggest a fault in its call.
   */
  @ExceptionHandler(LeasesUnavailableException.class)
  ResponseEntity<ApiError> unavailable(LeasesUnavailableException e) {
    log.warn("lease call answered 503 ({})", e.getMessage());
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .body(ApiError.of("leases are unavailable: the control plane cannot use its database now; retry", null));
  }
}
